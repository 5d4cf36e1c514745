/* The tablet's IndexedDB database "heat-offline", through idb. Its stores, keys and records are
   those of every earlier version (tablets keep their data): keys (per user: "wrapped <user>",
   "escrow <user>", "pin <user>", "unlocked <user>"), state (who is signed in, and notes keyed
   "<what> <user> ..."), pages ("<user> <path>", "<user> kit <children>", "sign-in", "unlock") and
   outbox (entries with an auto-increment id). A change that touches several records is one
   transaction (`change`): it happens whole, or not at all. */
import { openDB } from "idb";

let database = null;
export function openDatabase() {
  database ||= openDB("heat-offline", 1, {
    upgrade(db) {
      db.createObjectStore("keys");
      db.createObjectStore("state");
      db.createObjectStore("pages");
      db.createObjectStore("outbox", { keyPath: "id", autoIncrement: true });
    },
  });
  return database;
}

export const get = async (store, key) => (await openDatabase()).get(store, key);
export const put = async (store, value, key) => {
  const db = await openDatabase();
  return key === undefined ? db.put(store, value) : db.put(store, value, key);
};
export const remove = async (store, key) => (await openDatabase()).delete(store, key);
export const all = async (store) => (await openDatabase()).getAll(store);
export const allKeys = async (store) => (await openDatabase()).getAllKeys(store);

export async function change(stores, body) {
  // One read-write transaction over `stores`: `body(tx)` reads and writes through it (awaiting only
  // its requests, never the network or WebCrypto, or the transaction ends early). If anything in
  // it fails, nothing it did is kept.
  const tx = (await openDatabase()).transaction(stores, "readwrite");
  const done = tx.done;
  done.catch(() => {}); // the failure is the body's, thrown below
  try {
    const result = await body(tx);
    await done;
    return result;
  } catch (error) {
    try {
      tx.abort();
    } catch (finished) {
      /* aborted already by the failed request */
    }
    throw error;
  }
}

export function update(store, key, next) {
  // Read, change and write one record in one transaction: `next(now)` gives the new value.
  return change([store], async (tx) => {
    const value = next(await tx.objectStore(store).get(key));
    await tx.objectStore(store).put(value, key);
    return value;
  });
}
