// A service worker's world in Node, fresh for each test: an empty IndexedDB (fake-indexeddb), a
// cookie jar (cookieStore; emptied, it is a browser closed and opened again), no open pages, and
// the service worker's modules loaded again (each keeps its database connection and what it holds
// in memory).
import "fake-indexeddb/auto"; // IDBRequest, IDBCursor... as a browser has them (idb checks them)
import { IDBFactory } from "fake-indexeddb";
import { beforeEach, vi } from "vitest";

beforeEach(() => {
  vi.resetModules();
  vi.unstubAllGlobals();
  const cookies = new Map();
  vi.stubGlobal("indexedDB", new IDBFactory());
  vi.stubGlobal("self", globalThis);
  vi.stubGlobal("cookieStore", {
    get: async (name) => (cookies.has(name) ? { name, value: cookies.get(name) } : null),
    set: async ({ name, value }) => void cookies.set(name, value),
    clear: () => cookies.clear(),
  });
  vi.stubGlobal("clients", { matchAll: async () => [] });
  vi.stubGlobal("registration", {});
  vi.stubGlobal("fetch", () => Promise.reject(new TypeError("no network in this test")));
});
