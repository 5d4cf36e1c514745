// ESLint for the front end (`make lint`): the recommended rules, with each file's own globals.
// heat.js and its modules run in the page; sw.js and assets/sw/ are the service worker's modules,
// bundled by assets/build.mjs with esbuild (which fills in __ASSETS__ and __BUILD__); the unit
// tests in assets/test/ run in Node under Vitest (they import what they use from "vitest").
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  // `catch (error) {}` names what was caught even where the handler does not need it, and
  // `const { a, ...rest } = x` is how an object is copied without a key.
  { rules: { "no-unused-vars": ["error", { caughtErrors: "none", ignoreRestSiblings: true }] } },
  { files: ["assets/*.js"], ignores: ["assets/sw.js"], languageOptions: { sourceType: "module", globals: globals.browser } },
  { files: ["assets/sw.js", "assets/sw/*.js"], languageOptions: { sourceType: "module", globals: globals.serviceworker } },
  { files: ["assets/sw/config.js"], languageOptions: { globals: { __ASSETS__: "readonly", __BUILD__: "readonly" } } },
  { files: ["assets/test/*.js"], languageOptions: { sourceType: "module", globals: { ...globals.node, ...globals.serviceworker } } },
  { files: ["assets/build.mjs", "eslint.config.mjs", "vitest.config.mjs", "tests/**/*.mjs"], languageOptions: { sourceType: "module", globals: globals.node } },
  { ignores: ["static/", "node_modules/", ".venv/"] },
];
