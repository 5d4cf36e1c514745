// ESLint for the front end (`make lint`): the recommended rules, with each file's own globals.
// heat.js is an ES module bundled by esbuild; sw.js is a classic service worker script whose
// __ASSETS__ and __BUILD__ are filled in by assets/build.mjs.
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  // `catch (error) {}` names what was caught even where the handler does not need it, and
  // `const { a, ...rest } = x` is how an object is copied without a key.
  { rules: { "no-unused-vars": ["error", { caughtErrors: "none", ignoreRestSiblings: true }] } },
  { files: ["assets/*.js"], ignores: ["assets/sw.js"], languageOptions: { sourceType: "module", globals: globals.browser } },
  {
    files: ["assets/sw.js"],
    languageOptions: { sourceType: "script", globals: { ...globals.serviceworker, __ASSETS__: "readonly", __BUILD__: "readonly" } },
  },
  { files: ["assets/build.mjs", "eslint.config.mjs", "tests/**/*.mjs"], languageOptions: { sourceType: "module", globals: globals.node } },
  { ignores: ["static/", "node_modules/", ".venv/"] },
];
