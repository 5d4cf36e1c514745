// Build static/dist: compile assets/heat.scss, copy GOV.UK Frontend's JavaScript and our own, give
// every file a content-hashed name (cached for a year; a new build is a new name), write a gzip
// and a Brotli copy beside each for WhiteNoise, and list the names in manifest.json. The service
// worker's modules (assets/sw.js and assets/sw/) are bundled by esbuild into one classic script.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { brotliCompressSync, gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import * as sass from "sass";

const out = "static/dist";
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const manifest = {};

function emit(name, content) {
  const hash = createHash("sha256").update(content).digest("hex").slice(0, 12);
  const dot = name.lastIndexOf(".");
  const hashed = `${name.slice(0, dot)}.${hash}${name.slice(dot)}`;
  writeFileSync(`${out}/${hashed}`, content);
  writeFileSync(`${out}/${hashed}.gz`, gzipSync(content, { level: 9 }));
  writeFileSync(`${out}/${hashed}.br`, brotliCompressSync(content));
  manifest[name] = hashed;
  return hashed;
}

const css = sass.compile("assets/heat.scss", {
  loadPaths: ["node_modules"],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["mixed-decls", "import", "global-builtin"],
});
emit("heat.css", Buffer.from(css.css));
const govuk = emit("govuk-frontend.min.js", readFileSync("node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js"));
// Our modules, imported by heat.js under their hashed names.
const modules = {
  "./on_this_tablet.js": emit("on_this_tablet.js", readFileSync("assets/on_this_tablet.js")),
  "./keys.js": emit("keys.js", readFileSync("assets/keys.js")),
  "./check_answers.js": emit("check_answers.js", readFileSync("assets/check_answers.js")),
  "./section_errors.js": emit("section_errors.js", readFileSync("assets/section_errors.js")),
};
// Our script imports GOV.UK Frontend and our modules by their hashed names.
let ours = readFileSync("assets/heat.js", "utf8").replace("./govuk-frontend.min.js", `./${govuk}`);
for (const [plain, hashed] of Object.entries(modules)) ours = ours.replace(`"${plain}"`, `"./${hashed}"`);
emit("heat.js", Buffer.from(ours));
// Photos, "I saw everything in this room" and installing (issue 21 items 6, 9 and 10): a module of its own.
emit("tablet.js", Buffer.from(readFileSync("assets/tablet.js", "utf8").replace('"./keys.js"', `"./${modules["./keys.js"]}"`)));
// The service worker lives at /sw.js (served by the app, never cached): it lists the hashed files,
// and its cache is named after them (esbuild's define fills in __ASSETS__ and __BUILD__).
const assets = Object.values(manifest).map((name) => `/static/dist/${name}`);
const build = createHash("sha256").update(assets.join()).digest("hex").slice(0, 12);
const worker = await esbuild.build({
  entryPoints: ["assets/sw.js"],
  bundle: true,
  format: "iife",
  write: false,
  legalComments: "none",
  logLevel: "warning",
  define: { __ASSETS__: JSON.stringify(assets), __BUILD__: JSON.stringify(build) },
});
writeFileSync(`${out}/sw.js`, worker.outputFiles[0].contents);
writeFileSync(`${out}/manifest.json`, JSON.stringify(manifest, null, 2));
console.log(`built ${out}: ${Object.values(manifest).join(", ")}`);
