// Vitest for the service worker's modules (`npm test`): in Node, with fake-indexeddb for IndexedDB
// and Node's WebCrypto; assets/test/setup.js stands in for the rest of a service worker's world.
import { defineConfig } from "vitest/config";

export default defineConfig({
  define: { __ASSETS__: JSON.stringify(["/static/dist/heat.test.css"]), __BUILD__: JSON.stringify("test") },
  test: { include: ["assets/test/*.test.js"], setupFiles: ["assets/test/setup.js"], environment: "node" },
});
