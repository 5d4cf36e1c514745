// Build static/dist: compile assets/heat.scss and copy GOV.UK Frontend's JavaScript.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import * as sass from "sass";

const out = "static/dist";
mkdirSync(out, { recursive: true });
const css = sass.compile("assets/heat.scss", {
  loadPaths: ["node_modules"],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["mixed-decls", "import", "global-builtin"],
});
writeFileSync(`${out}/heat.css`, css.css);
copyFileSync("node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js", `${out}/govuk-frontend.min.js`);
console.log(`built ${out}/heat.css (${css.css.length} bytes) and govuk-frontend.min.js`);
