/* Keys only the practitioner holds, and what they seal. Each user's data key (AES-GCM) is kept only
   wrapped (AES-KW): with a key derived from their password or offline PIN (PBKDF2, SHA-256), and
   with a key only their live session is given by the server (/api/session). Unwrapped, it is kept
   (not extractable) only while the browser runs: a session cookie names the unlocking, and a
   browser closed since, a sign-out or anyone else signing in locks it. Nothing is sealed while it
   is locked. */
import { all, change, get, remove } from "./store.js";

export const ITERATIONS = 310000;
export const AES = { name: "AES-GCM", length: 256 };
const UNLOCKED_COOKIE = "heat_unlocked";

export function wrappingKey(base, salt) {
  // `base`: a password or PIN as a PBKDF2 key (the page imports it; the text never comes here).
  return crypto.subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt, iterations: ITERATIONS }, base, { name: "AES-KW", length: 256 }, false, ["wrapKey", "unwrapKey"]);
}

export function unwrap(wrapper, wrapped, extractable = false) {
  return crypto.subtle.unwrapKey("raw", wrapped, wrapper, "AES-KW", AES, extractable, ["encrypt", "decrypt"]);
}

export const wrap = (data, wrapper) => crypto.subtle.wrapKey("raw", data, wrapper, "AES-KW");
export const newDataKey = () => crypto.subtle.generateKey(AES, true, ["encrypt", "decrypt"]);

export async function wrapWithSecret(data, base) {
  // The data key wrapped with a key derived from a password or PIN, under a fresh salt: the record
  // kept as "wrapped <user>" or "pin <user>".
  const salt = crypto.getRandomValues(new Uint8Array(16));
  return { salt, wrapped: await wrap(data, await wrappingKey(base, salt)) };
}

export async function unwrapWithSecret(base, record) {
  // Throws when the password or PIN is not the one it was wrapped with.
  return unwrap(await wrappingKey(base, record.salt), record.wrapped);
}

export function serverWrapper(text) {
  // The session's key, as /api/session gives it (base64url).
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return crypto.subtle.importKey("raw", bytes, "AES-KW", false, ["wrapKey", "unwrapKey"]);
}

export async function sealWith(key, value) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plain = new TextEncoder().encode(JSON.stringify(value));
  return { iv, data: await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, plain) };
}

export async function unsealWith(key, sealed) {
  // Throws when `key` did not seal it.
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.iv }, key, sealed.data);
  return JSON.parse(new TextDecoder().decode(plain));
}

/* --- unlocked for this run of the browser ------------------------------------------------------ */

export const lockIn = async (keys) => {
  // Inside a transaction over "keys": every user's unlocked key goes.
  for (const key of await keys.getAllKeys()) if (String(key).startsWith("unlocked ")) await keys.delete(key);
};

export const lockAll = () => change(["keys"], (tx) => lockIn(tx.objectStore("keys")));

export async function setUnlocked(user, key) {
  const nonce = crypto.randomUUID();
  // No expiry: the browser forgets it when it closes, and the store is locked from then on.
  await self.cookieStore.set({ name: UNLOCKED_COOKIE, value: nonce, path: "/", sameSite: "strict" });
  await change(["keys", "state"], async (tx) => {
    await lockIn(tx.objectStore("keys"));
    await tx.objectStore("keys").put({ key, nonce }, `unlocked ${user}`);
    await tx.objectStore("state").delete(`tries ${user}`);
  });
}

export async function unlocked(user) {
  // The user's data key while their store is unlocked in this run of the browser, else null.
  const record = user && (await get("keys", `unlocked ${user}`));
  if (!record) return null;
  const cookie = await self.cookieStore.get(UNLOCKED_COOKIE);
  if (!cookie || cookie.value !== record.nonce) {
    await remove("keys", `unlocked ${user}`);
    return null;
  }
  return record.key;
}

export async function seal(user, value) {
  const key = await unlocked(user);
  if (!key) throw new Error("locked"); // never a store while locked, whatever the timing
  return sealWith(key, value);
}

export async function unseal(user, sealed) {
  const key = await unlocked(user);
  if (!key) return null;
  try {
    return await unsealWith(key, sealed);
  } catch (error) {
    return null; // sealed with a key since lost
  }
}

export async function adoptLegacy(user) {
  // Before keys were wrapped, each user's key sat unwrapped beside the data, under their name.
  // What it sealed in the outbox (saves waiting when this version arrived) is sealed again with
  // the wrapped key at the first sign-in, so it is sent, and the old key is deleted, together.
  // Stored pages it sealed are not worth keeping: they are fetched again.
  const legacy = await get("keys", user);
  if (!(legacy instanceof CryptoKey) || !(await unlocked(user))) return;
  const resealed = [];
  for (const entry of await all("outbox")) {
    if (entry.user !== user || !entry.sealed) continue;
    let value;
    try {
      value = await unsealWith(legacy, entry.sealed);
    } catch (error) {
      continue; // sealed with the wrapped key already
    }
    resealed.push({ id: entry.id, sealed: await seal(user, value) });
  }
  await change(["keys", "outbox"], async (tx) => {
    const outbox = tx.objectStore("outbox");
    for (const { id, sealed } of resealed) {
      const entry = await outbox.get(id);
      if (entry) await outbox.put({ ...entry, sealed });
    }
    await tx.objectStore("keys").delete(user);
  });
}
