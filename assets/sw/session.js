/* Who is signed in on this tablet, and opening their key: with the password the sign-in or unlock
   page captured (never kept), with an offline PIN set on this tablet, or with the key the server
   gives their live session. The server names each user with an opaque id in the X-Heat-User
   header of every signed-in page. */
import { adoptLegacy, lockAll, lockIn, newDataKey, serverWrapper, setUnlocked, unlocked, unwrap, unwrapWithSecret, wrap, wrapWithSecret } from "./crypto.js";
import { serverSession } from "./config.js";
import { change, get, put, update } from "./store.js";

const TRIES = 5;
let password = null; // { key: the password as a PBKDF2 key, at }, from the sign-in page, until used

export const currentUser = () => get("state", "user");

export function passwordGiven(key) {
  // From the sign-in page, just before it is sent: kept here until the user is known.
  password = { key, at: Date.now() };
}

// Just signed in with a password not yet used: the server says who it is.
export const passwordPending = () => password !== null;

export async function askServer() {
  // The page was not seen by this worker (it was installed meanwhile): the server says who it is.
  try {
    const session = await serverSession();
    const user = session ? session.user : null;
    if (user !== (await currentUser())) await lockAll();
    await put("state", user, "user");
    if (user) await afterSignIn(user);
    return user;
  } catch (error) {
    return currentUser();
  }
}

export async function noteUser(response) {
  // Only a page the server itself answered says who is signed in (or that nobody is).
  if (response.type !== "basic" || !(response.headers.get("Content-Type") || "").startsWith("text/html")) return;
  const user = response.headers.get("X-Heat-User");
  if (user !== (await currentUser())) await lockAll(); // someone else, or nobody: locked
  await put("state", user || null, "user");
  if (user) await afterSignIn(user);
  if (user && (await get("state", `link ${user}`))?.signedOut) {
    // Signed in again: a "You have been signed out" found by an earlier try to send is over.
    await update("state", `link ${user}`, (link) => ({ ...link, signedOut: false }));
  }
}

async function keepWrapped(user, kind, record, escrow) {
  // The data key wrapped with a password ("wrapped") or a PIN ("pin"), and with the session's key.
  await change(["keys"], async (tx) => {
    await tx.objectStore("keys").put(record, `${kind} ${user}`);
    await tx.objectStore("keys").put(escrow, `escrow ${user}`);
  });
}

async function establish(user, base) {
  // Signed in with a password: the data key unwrapped with it; else (a new password, a key erased
  // after wrong tries) recovered with the session's key; else, the first time, made.
  const record = await get("keys", `wrapped ${user}`);
  if (record) {
    try {
      return await setUnlocked(user, await unwrapWithSecret(base, record));
    } catch (error) {
      /* not this password's: recovered below */
    }
  }
  const session = await serverSession();
  if (!session || session.user !== user) return;
  const server = await serverWrapper(session.key);
  const escrow = await get("keys", `escrow ${user}`);
  const data = (escrow && (await unwrap(server, escrow, true).catch(() => null))) || (await newDataKey());
  const wrapped = await wrapWithSecret(data, base);
  await keepWrapped(user, "wrapped", wrapped, await wrap(data, server));
  await setUnlocked(user, await unwrapWithSecret(base, wrapped));
}

async function afterSignIn(user) {
  // The first page after the sign-in page gave its password: the key is opened, then forgotten.
  // Signed in with no password (single sign-on): opened with the session's key if a PIN was set.
  if (!password) return unlockWithSession(user);
  const { key, at } = password;
  password = null;
  if (Date.now() - at < 10 * 60 * 1000) await establish(user, key).then(() => adoptLegacy(user)).catch(() => {});
}

export async function tryUnlock(base, kind = "password") {
  // "Unlock with your password" (or "with your PIN"), with no signal. The wrong tries of both
  // count together, and erase both.
  const user = await currentUser();
  const record = user && (await get("keys", `${kind === "pin" ? "pin" : "wrapped"} ${user}`));
  if (!record) return { erased: true };
  try {
    await setUnlocked(user, await unwrapWithSecret(base, record));
    return { unlocked: true };
  } catch (error) {
    const tries = await update("state", `tries ${user}`, (now) => (now || 0) + 1);
    if (tries < TRIES) return { left: TRIES - tries };
    // Erased: only the copy wrapped with the session's key is left, for signing in online.
    await change(["keys", "state"], async (tx) => {
      await tx.objectStore("keys").delete(`wrapped ${user}`);
      await tx.objectStore("keys").delete(`pin ${user}`);
      await tx.objectStore("state").delete(`tries ${user}`);
    });
    return { erased: true };
  }
}

/* An offline PIN: the same data key wrapped a second time, with a key derived from a PIN the
   practitioner sets on this tablet (PBKDF2, as the password), for "Unlock with your PIN". Someone
   who signs in with no password (single sign-on) has only this way in, so their tablet keeps
   nothing until it is set. Setting it needs the session's key (a signal): the data key held
   while unlocked cannot be read back to be wrapped again. */

export async function setPin(user, base) {
  // { set: true } once set: the caller sends the saves kept since a key was erased.
  let session;
  try {
    session = await serverSession();
  } catch (error) {
    return { offline: true };
  }
  if (!session || session.user !== user) return { set: false };
  const server = await serverWrapper(session.key);
  const escrow = await get("keys", `escrow ${user}`);
  let data = escrow && (await unwrap(server, escrow, true).catch(() => null));
  // A key in use that the session's key does not open (HEAT's secret changed): a PIN wrapping a
  // new key would open nothing kept here.
  if (!data && (await unlocked(user))) return { set: false };
  data ||= await newDataKey();
  const wrapped = await wrapWithSecret(data, base);
  await keepWrapped(user, "pin", wrapped, await wrap(data, server));
  if (!(await unlocked(user))) await setUnlocked(user, await unwrapWithSecret(base, wrapped));
  return { set: true };
}

async function unlockWithSession(user) {
  // Signed in with a signal and no password, with a PIN set on this tablet: the session's key opens
  // the data key (kept wrapped with it) for this run of the browser.
  if ((await unlocked(user)) || !(await get("keys", `pin ${user}`))) return;
  const escrow = await get("keys", `escrow ${user}`);
  const session = escrow && (await serverSession().catch(() => null));
  if (!session || session.user !== user) return;
  const data = await unwrap(await serverWrapper(session.key), escrow).catch(() => null);
  if (data) await setUnlocked(user, data);
}

export async function unlockMethods() {
  const user = await currentUser();
  return {
    password: Boolean(user && (await get("keys", `wrapped ${user}`))),
    pin: Boolean(user && (await get("keys", `pin ${user}`))),
  };
}

export async function signOut(user, keep) {
  // Everything of this user's on the tablet goes at once: their pages and notes, and (unless their
  // saves are kept to be sent) their outbox and keys. A PIN set here stays, and the copy its next
  // sign-in opens (they protect nothing left here). Locked first: a page being stored meanwhile
  // cannot be sealed, or is taken back.
  await change(["keys", "state", "pages", "outbox"], async (tx) => {
    const keys = tx.objectStore("keys");
    await lockIn(keys);
    const pages = tx.objectStore("pages");
    for (const key of await pages.getAllKeys()) if (key.startsWith(`${user} `)) await pages.delete(key);
    const state = tx.objectStore("state");
    for (const key of await state.getAllKeys()) if (typeof key === "string" && key.includes(` ${user}`)) await state.delete(key);
    if (!keep) {
      const outbox = tx.objectStore("outbox");
      for (const entry of await outbox.getAll()) if (entry.user === user) await outbox.delete(entry.id);
      const pin = await keys.get(`pin ${user}`);
      for (const key of [user, `wrapped ${user}`, ...(pin ? [] : [`escrow ${user}`])]) await keys.delete(key);
    }
    await state.put(null, "user");
  });
}
