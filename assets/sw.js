/* HEAT's service worker: finish an assessment with no signal, send it when the signal returns.

   What it keeps on the tablet, all in IndexedDB "heat-offline", per user (the server names each
   user with an opaque id in the X-Heat-User header of every signed-in page):
   - keys:   one AES-GCM key per user, made here, non-extractable (WebCrypto);
   - pages:  the pages of assessments whose task list was opened online (task list, sections,
             check answers), encrypted with the user's key, deleted once the assessment is
             submitted and sent, and at sign-out;
   - outbox: the section saves and submissions of those assessments, encrypted, answered here at
             once and sent behind, in order; each keeps its own save key, so a replay never
             stores twice;
   - state:  who is signed in, and small notes (what was stored, why saves still wait).
   Static files (content-hashed, nothing personal) are kept in the Cache Storage.
   A stored page opens from here at once, and is asked for again behind it unless the server
   confirmed it within the last two minutes; but a page a save sent from here changed (the task
   list, check answers, the section saved), while its stored copy predates the save, comes from the
   server first. Every such request carries the copy's validator (If-None-Match): a 304 keeps the
   copy and downloads nothing. A save sends the save, and nothing else is fetched for it. Any other
   page comes from the server, and from here only when the server cannot be reached. */

const ASSETS = __ASSETS__;
const STATIC_CACHE = "heat-static-__BUILD__";
const TIMEOUT_MS = 8000;
// Storing the caseload happens in the background while the practitioner has a signal: nobody waits
// on it, and a household's new-visit kit (every page of a visit for all its children) can take the
// server several seconds to draw, so one slow answer must not leave the tablet not ready.
const STORING_MS = 30000;
// A copy the server confirmed (or sent) this recently is not asked for again when it is opened.
const FRESH_MS = 2 * 60 * 1000;
const UNREACHABLE = new Set([502, 503, 504]);
// An assessment is its id on the server, or "new-<start key>" while it was started on this tablet
// and the server has not been told yet.
const SECTION = /^\/assessments\/(\d+|new-[\w-]+)\/sections\/([\w-]+)$/;
const SUBMIT = /^\/assessments\/(\d+|new-[\w-]+)\/submit$/;
const START = /^\/children\/(\d+)\/assessments\/new$/;
const STARTED_HERE = /^\/assessments\/(new-[\w-]+)(.*)$/;
const DRAFT = "__DRAFT__";
const TABLET_PAGE = "/on-this-tablet";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC_CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== STATIC_CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

/* --- IndexedDB, a request at a time ------------------------------------------------------- */

let database = null;
function openDatabase() {
  database ||= new Promise((resolve, reject) => {
    const request = indexedDB.open("heat-offline", 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("keys");
      db.createObjectStore("state");
      db.createObjectStore("pages");
      db.createObjectStore("outbox", { keyPath: "id", autoIncrement: true });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return database;
}

async function run(store, mode, body) {
  const db = await openDatabase();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(store, mode);
    const request = body(transaction.objectStore(store));
    transaction.oncomplete = () => resolve(request ? request.result : undefined);
    transaction.onerror = transaction.onabort = () => reject(transaction.error);
  });
}
const get = (store, key) => run(store, "readonly", (s) => s.get(key));
const put = (store, value, key) => run(store, "readwrite", (s) => (key === undefined ? s.put(value) : s.put(value, key)));
const remove = (store, key) => run(store, "readwrite", (s) => s.delete(key));
const all = (store) => run(store, "readonly", (s) => s.getAll());
const allKeys = (store) => run(store, "readonly", (s) => s.getAllKeys());

/* --- who is signed in, and their key ------------------------------------------------------ */

const currentUser = () => get("state", "user");

async function serverSession() {
  // Who the server says is signed in, with a fresh CSRF token; null when nobody is. Throws when
  // the server cannot be reached.
  const response = await timed("/api/session", { headers: { "X-Heat-Background": "1" } });
  return response.ok ? response.json() : null;
}

async function askServer() {
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

async function noteUser(response) {
  // Only a page the server itself answered says who is signed in (or that nobody is).
  if (response.type !== "basic" || !(response.headers.get("Content-Type") || "").startsWith("text/html")) return;
  const user = response.headers.get("X-Heat-User");
  if (user !== (await currentUser())) await lockAll(); // someone else, or nobody: locked
  await put("state", user || null, "user");
  if (user) await afterSignIn(user);
  if (user) {
    // Signed in again: a "You have been signed out" found by an earlier try to send is over.
    const link = await get("state", `link ${user}`);
    if (link && link.signedOut) await put("state", { ...link, signedOut: false }, `link ${user}`);
  }
}

/* Keys only the practitioner holds. Each user's data key (AES-GCM) is kept only wrapped: with a
   key derived from their password (PBKDF2, SHA-256), captured by the sign-in or unlock page and
   never kept; and with a key only their live session is given by the server (/api/session), so
   that signing in with a signal recovers it. Unwrapped, it is kept (not extractable) only while
   the browser runs: a session cookie names the unlocking, and a browser closed since, a sign-out
   or anyone else signing in locks it. Nothing is stored while it is locked. */

const ITERATIONS = 310000;
const TRIES = 5;
const UNLOCKED_COOKIE = "heat_unlocked";
const AES = { name: "AES-GCM", length: 256 };
let password = null; // { key: the password as a PBKDF2 key, at }, from the sign-in page, until used

function wrappingKey(base, salt) {
  return crypto.subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt, iterations: ITERATIONS }, base, { name: "AES-KW", length: 256 }, false, ["wrapKey", "unwrapKey"]);
}

function unwrap(wrapper, wrapped, extractable = false) {
  return crypto.subtle.unwrapKey("raw", wrapped, wrapper, "AES-KW", AES, extractable, ["encrypt", "decrypt"]);
}

function serverWrapper(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return crypto.subtle.importKey("raw", bytes, "AES-KW", false, ["wrapKey", "unwrapKey"]);
}

async function lockAll() {
  for (const key of await allKeys("keys")) if (String(key).startsWith("unlocked ")) await remove("keys", key);
}

async function setUnlocked(user, key) {
  await lockAll();
  const nonce = crypto.randomUUID();
  // No expiry: the browser forgets it when it closes, and the store is locked from then on.
  await self.cookieStore.set({ name: UNLOCKED_COOKIE, value: nonce, path: "/", sameSite: "strict" });
  await put("keys", { key, nonce }, `unlocked ${user}`);
  await remove("state", `tries ${user}`);
}

async function unlocked(user) {
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

async function establish(user, base) {
  // Signed in with a password: the data key unwrapped with it; else (a new password, a key erased
  // after wrong tries) recovered with the session's key; else, the first time, made.
  const record = await get("keys", `wrapped ${user}`);
  if (record) {
    try {
      return await setUnlocked(user, await unwrap(await wrappingKey(base, record.salt), record.wrapped));
    } catch (error) {
      /* not this password's: recovered below */
    }
  }
  const session = await serverSession();
  if (!session || session.user !== user) return;
  const server = await serverWrapper(session.key);
  const escrow = await get("keys", `escrow ${user}`);
  const data = (escrow && (await unwrap(server, escrow, true).catch(() => null))) || (await crypto.subtle.generateKey(AES, true, ["encrypt", "decrypt"]));
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const wrapper = await wrappingKey(base, salt);
  const wrapped = await crypto.subtle.wrapKey("raw", data, wrapper, "AES-KW");
  await put("keys", { salt, wrapped }, `wrapped ${user}`);
  await put("keys", await crypto.subtle.wrapKey("raw", data, server, "AES-KW"), `escrow ${user}`);
  await setUnlocked(user, await unwrap(wrapper, wrapped));
}

async function adoptLegacy(user) {
  // Before keys were wrapped, each user's key sat unwrapped beside the data, under their name.
  // What it sealed in the outbox (saves waiting when this version arrived) is sealed again with
  // the wrapped key at the first sign-in, so it is sent, and the old key is deleted. Stored pages
  // it sealed are not worth keeping: they are fetched again.
  const legacy = await get("keys", user);
  if (!(legacy instanceof CryptoKey) || !(await unlocked(user))) return;
  for (const entry of await all("outbox")) {
    if (entry.user !== user || !entry.sealed) continue;
    let value;
    try {
      const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: entry.sealed.iv }, legacy, entry.sealed.data);
      value = JSON.parse(new TextDecoder().decode(plain));
    } catch (error) {
      continue; // sealed with the wrapped key already
    }
    await put("outbox", { ...entry, sealed: await seal(user, value) });
  }
  await remove("keys", user);
}

async function afterSignIn(user) {
  // The first page after the sign-in page gave its password: the key is opened, then forgotten.
  // Signed in with no password (single sign-on): opened with the session's key if a PIN was set.
  if (!password) return unlockWithSession(user);
  const { key, at } = password;
  password = null;
  if (Date.now() - at < 10 * 60 * 1000) await establish(user, key).then(() => adoptLegacy(user)).catch(() => {});
}

async function tryUnlock(base, kind = "password") {
  // "Unlock with your password" (or "with your PIN"), with no signal. The wrong tries of both
  // count together, and erase both.
  const user = await currentUser();
  const record = user && (await get("keys", `${kind === "pin" ? "pin" : "wrapped"} ${user}`));
  if (!record) return { erased: true };
  try {
    await setUnlocked(user, await unwrap(await wrappingKey(base, record.salt), record.wrapped));
    return { unlocked: true };
  } catch (error) {
    const tries = ((await get("state", `tries ${user}`)) || 0) + 1;
    if (tries >= TRIES) {
      // Erased: only the copy wrapped with the session's key is left, for signing in online.
      await remove("keys", `wrapped ${user}`);
      await remove("keys", `pin ${user}`);
      await remove("state", `tries ${user}`);
      return { erased: true };
    }
    await put("state", tries, `tries ${user}`);
    return { left: TRIES - tries };
  }
}

/* An offline PIN: the same data key wrapped a second time, with a key derived from a PIN the
   practitioner sets on this tablet (PBKDF2, as the password), for "Unlock with your PIN". Someone
   who signs in with no password (single sign-on) has only this way in, so their tablet keeps
   nothing until it is set. Setting it needs the session's key (a signal): the data key held
   while unlocked cannot be read back to be wrapped again. */

async function setPin(user, base) {
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
  data ||= await crypto.subtle.generateKey(AES, true, ["encrypt", "decrypt"]);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const wrapper = await wrappingKey(base, salt);
  const wrapped = await crypto.subtle.wrapKey("raw", data, wrapper, "AES-KW");
  await put("keys", { salt, wrapped }, `pin ${user}`);
  await put("keys", await crypto.subtle.wrapKey("raw", data, server, "AES-KW"), `escrow ${user}`);
  if (!(await unlocked(user))) await setUnlocked(user, await unwrap(wrapper, wrapped));
  drain(); // saves kept since a key was erased can be opened and sent again
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

async function unlockMethods() {
  const user = await currentUser();
  return {
    password: Boolean(user && (await get("keys", `wrapped ${user}`))),
    pin: Boolean(user && (await get("keys", `pin ${user}`))),
  };
}

async function seal(user, value) {
  const key = await unlocked(user);
  if (!key) throw new Error("locked"); // never a store while locked, whatever the timing
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plain = new TextEncoder().encode(JSON.stringify(value));
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, plain);
  return { iv, data };
}

async function unseal(user, sealed) {
  const key = await unlocked(user);
  if (!key) return null;
  try {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.iv }, key, sealed.data);
    return JSON.parse(new TextDecoder().decode(plain));
  } catch (error) {
    return null; // sealed with a key since lost
  }
}

/* --- the network, with a limit ------------------------------------------------------------ */

async function timed(input, init = {}, wait = TIMEOUT_MS) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), wait);
  try {
    return await fetch(input, { ...init, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

/* --- stored pages -------------------------------------------------------------------------- */

const pageKey = (user, path) => `${user} ${path}`;

async function keepPage(user, assessment, path, response, asked = Date.now(), networkFirst = false) {
  // `asked`: when the copy was asked for. The copy shows the assessment as it was then at the
  // earliest: if the assessment was forgotten since (its submission was sent), it is never shown.
  // `networkFirst`: a page opened from the server whenever it answers (the caseload, a child).
  const html = await response.text();
  const csp = response.headers.get("Content-Security-Policy") || "";
  // A copy asked for before the one stored (a slow fetch behind a page opened before a save) is
  // older than it: it never replaces it.
  const kept = await get("pages", pageKey(user, path));
  if (kept && (kept.asked || 0) > asked) return;
  const etag = response.headers.get("ETag");
  await put("pages", { user, assessment, path, csp, asked, networkFirst, etag, sealed: await seal(user, html) }, pageKey(user, path));
  // Locked while it was being sealed (a sign-out, someone else signing in): not kept.
  if (!(await unlocked(user))) await remove("pages", pageKey(user, path));
  await settled(user, assessment, path, asked);
}

/* --- conditional requests: a stored page is downloaded again only when the server's changed --- */

function conditional(page, user) {
  // The validator the copy came with, for the server to answer 304 if it would send the same.
  return page && page.user === user && page.etag ? { "If-None-Match": page.etag } : {};
}

async function confirmed(user, path, etag, asked) {
  // The server answered 304: the stored copy is current as of `asked` (the copy is kept as it
  // is; only when it was last confirmed changes). Never a copy deleted or replaced meanwhile.
  const page = await get("pages", pageKey(user, path));
  if (!page || page.etag !== etag || (page.asked || 0) > asked) return;
  await put("pages", { ...page, asked }, pageKey(user, path));
  if (!(await unlocked(user))) await remove("pages", pageKey(user, path));
  await settled(user, page.assessment, path, asked);
}

async function refreshKept(user, assessment, path, networkFirst = false) {
  // A stored page asked for again, as the tablet's own request: kept if the server sends a new
  // copy, confirmed if it answers 304. Throws when it cannot be reached or answers for someone else.
  const asked = Date.now();
  const page = await get("pages", pageKey(user, path));
  const response = await timed(path, { headers: { "X-Heat-Background": "1", ...conditional(page, user) }, redirect: "error" });
  if (response.headers.get("X-Heat-User") !== user) throw new Error(`could not store ${path}`);
  if (response.status === 304 && page) await confirmed(user, path, page.etag, asked);
  else if (response.ok) await keepPage(user, assessment, path, response, asked, networkFirst);
  else throw new Error(`could not store ${path}`);
}

async function savedSince(user, page) {
  // A save sent from here after this copy was asked for, that changed what it shows: the task list
  // and check answers change with every save, a section with its own.
  const sent = page && page.assessment && (await get("state", `sent ${user} ${page.assessment}`));
  if (!sent) return false;
  const section = SECTION.exec(page.path || "");
  const at = section ? sent.sections[section[2]] || 0 : sent.at;
  return at > (page.asked || 0);
}

async function fresh(user, path) {
  // The stored copy was sent or confirmed by the server in the last two minutes, and no save sent
  // from here has changed it since: "a page it has just been given".
  const page = await get("pages", pageKey(user, path));
  return Boolean(page && page.etag && Date.now() - (page.asked || 0) < FRESH_MS && !(await savedSince(user, page)));
}

async function noteSent(user, entry) {
  // A save the server stored: the pages it changed are out of date on the tablet from now on,
  // until they are next asked for (see savedSince); nothing is fetched for it now.
  const key = `sent ${user} ${entry.assessment}`;
  const sent = (await get("state", key)) || { at: 0, sections: {} };
  const at = Date.now();
  await put("state", { at, sections: { ...sent.sections, [entry.section]: at } }, key);
}

async function settled(user, assessment, path, asked) {
  // A section's copy asked for after its save was sent shows that save: the sent entry, kept
  // until then (its answers shown over the older copy, its version carried to the next save), goes.
  const section = SECTION.exec(path || "");
  if (!section) return;
  for (const entry of await all("outbox")) {
    if (entry.user === user && entry.sent && String(entry.assessment) === String(assessment) && entry.section === section[2] && (entry.sentAt || 0) <= asked) {
      await remove("outbox", entry.id);
    }
  }
}

async function storeAssessment(user, assessment, paths, title) {
  const submitted = (await all("outbox")).some((e) => e.user === user && e.kind === "submit" && String(e.assessment) === String(assessment));
  if (submitted && (await get("state", `stored ${user} ${assessment}`))) return true; // done here: its copies go once it is sent
  const cache = await caches.open(STATIC_CACHE);
  for (const asset of ASSETS) if (!(await cache.match(asset))) await cache.add(asset);
  const asked = await storePages(user, assessment, paths);
  await describe(user, assessment, { title });
  if (asked) {
    await storeShell(user);
    await storeSignIn();
  }
  // Stored (and "Ready to work offline" on the task list) once all of it is kept, as the caseload.
  await put("state", paths, `stored ${user} ${assessment}`);
  return true;
}

async function storeSignIn() {
  // The sign-in page, as anyone gets it (nothing personal): what the next person sees after a
  // sign-out with no signal.
  const response = await timed("/sign-in", { credentials: "omit", redirect: "error" });
  if (!response.ok) return;
  const csp = response.headers.get("Content-Security-Policy") || "";
  await put("pages", { user: null, path: "/sign-in", csp, html: await response.text() }, "sign-in");
  const unlock = await timed("/unlock", { credentials: "omit", redirect: "error" });
  if (unlock.ok) await put("pages", { user: null, path: "/unlock", csp: unlock.headers.get("Content-Security-Policy") || "", html: await unlock.text() }, "unlock");
}

const signInPage = () => storedPage("sign-in");

async function storedPage(name) {
  const page = await get("pages", name);
  if (!page) return null;
  return new Response(page.html, { headers: { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": page.csp, "Cache-Control": "no-store" } });
}

async function endServerSession() {
  // A sign-out made with no signal: the server's session ends at the next contact, before anything
  // else is asked of it (its cookie would otherwise still open the previous practitioner's pages).
  if (!(await get("state", "sign-out pending"))) return;
  try {
    const session = await timed("/api/session", { headers: { "X-Heat-Background": "1" } });
    if (session.ok) {
      const { csrf } = await session.json();
      const ended = await timed("/sign-out", { method: "POST", headers: { "X-CSRFToken": csrf }, body: new URLSearchParams({ csrf_token: csrf }), redirect: "manual" });
      if (ended.status >= 500) return;
    } else if (session.status >= 500) {
      return;
    }
    await remove("state", "sign-out pending");
  } catch (error) {
    /* still no signal: at the next contact */
  }
}

async function signOutPost(event) {
  // The page's script has ended the tablet's session already (heat.js); a page without it keeps
  // what waits. The server's session ends now, or at the next contact.
  const user = await currentUser();
  if (user) await signOut(user, true);
  const form = await event.request.clone().formData();
  const fields = [...form.entries()].filter(([, value]) => typeof value === "string");
  try {
    const response = await timed("/sign-out", { method: "POST", body: new URLSearchParams(fields), redirect: "manual", credentials: "same-origin" });
    if (!UNREACHABLE.has(response.status)) return response;
  } catch (error) {
    /* no network, refused, reset or too slow */
  }
  await put("state", true, "sign-out pending");
  return Response.redirect("/sign-in", 303);
}

async function storeShell(user) {
  // "On this tablet": what `/` opens when HEAT cannot be reached, also after a browser restart.
  const response = await timed(TABLET_PAGE, { headers: { "X-Heat-Background": "1" }, redirect: "error" });
  if (response.ok && response.headers.get("X-Heat-User") === user) await keepPage(user, "shell", TABLET_PAGE, response, Date.now(), true);
}

async function describe(user, assessment, change) {
  // What "On this tablet" says of a visit (its children's names sealed, like the pages).
  const key = `about ${user} ${assessment}`;
  const now = (await get("state", key)) || {};
  const { title, ...rest } = change;
  const next = { ...now, ...rest };
  if (title) next.title = await seal(user, title);
  await put("state", next, key);
}

async function storePages(user, assessment, paths) {
  // Each page asked for with its copy's validator, but not one the server has just given: how
  // many were asked for.
  let asked = 0;
  for (const path of paths) {
    if (await fresh(user, path)) continue;
    await refreshKept(user, assessment, path);
    asked += 1;
  }
  return asked;
}

// One storing of the caseload at a time: a second page opened meanwhile (the caseload opened twice
// in a row) waits for the one under way rather than asking the server for every kit again at once,
// where two drafts drawn together could find the database busy and leave the tablet not ready.
const storing = new Map();
async function storeCaseloadOnce(user, paths, children) {
  if (!storing.has(user)) {
    storing.set(
      user,
      storeCaseload(user, paths, children).finally(() => storing.delete(user)),
    );
  }
  return storing.get(user);
}

async function storeCaseload(user, paths, children) {
  // The caseload and each child's pages, opened from the server whenever it answers (they change
  // with other people's work) and from here when it does not; and for each child, the pages of a
  // new assessment, for "Start a new assessment" with no signal.
  const cache = await caches.open(STATIC_CACHE);
  for (const asset of ASSETS) if (!(await cache.match(asset))) await cache.add(asset);
  for (const path of paths) {
    const asked = Date.now();
    const response = await timed(path, { headers: { "X-Heat-Background": "1" }, redirect: "error" }, STORING_MS);
    if (!response.ok || response.headers.get("X-Heat-User") !== user) throw new Error(`could not store ${path}`);
    await keepPage(user, "caseload", path, response, asked, true);
  }
  const households = new Set();
  const kits = new Set(); // the kits this caseload needs: any other is for a household as it was
  for (const child of children) {
    const kit = await storeKit(user, child, [child]);
    kits.add(kitKey(user, kit.children));
    // A visit can cover the whole household too (Which children does this visit cover?): once
    // per household, however many of its children are on the caseload.
    const household = kit.household.slice().sort();
    if (household.length > 1 && !households.has(household.join())) {
      households.add(household.join());
      kits.add(kitKey(user, (await storeKit(user, child, household)).children));
    }
  }
  const kitPrefix = `${user} kit `;
  for (const key of await allKeys("pages")) {
    if (typeof key === "string" && key.startsWith(kitPrefix) && !kits.has(key)) await remove("pages", key);
  }
  // "Ready to work offline" (the caseload's state) only once everything a restart with no signal
  // needs is kept: "On this tablet" and the sign-in and unlock pages. Said earlier, a caseload
  // opened again meanwhile showed it while the unlock page was still on its way.
  await storeShell(user);
  await storeSignIn();
  await put("state", Date.now(), `caseload ${user}`);
  return true;
}

const kitKey = (user, children) => `${user} kit ${children.slice().sort().join()}`;

async function storeKit(user, child, children) {
  // What starting and finishing a new assessment for these children needs, from the server.
  const query = children.map((id) => `children=${encodeURIComponent(id)}`).join("&");
  const response = await timed(`/children/${child}/assessments/new/offline?${query}`, { headers: { "X-Heat-Background": "1" }, redirect: "error" }, STORING_MS);
  if (!response.ok || response.headers.get("X-Heat-User") !== user) throw new Error(`could not store a new assessment for ${child}`);
  const csp = response.headers.get("Content-Security-Policy") || "";
  const kit = await response.json();
  const key = kitKey(user, kit.children);
  await put("pages", { user, assessment: "kit", path: null, csp, asked: Date.now(), sealed: await seal(user, kit) }, key);
  if (!(await unlocked(user))) await remove("pages", key); // locked meanwhile
  return kit;
}

async function startHere(user, child, fields) {
  // "Start a new assessment" with no signal: the tablet makes the draft from the pages it keeps for
  // the children chosen, under the page's start key; sent, the start key makes the server's draft
  // once, for the same children.
  const chosen = fields.filter(([name]) => name === "children").map(([, value]) => value);
  const kit = chosen.length && (await get("pages", kitKey(user, chosen)));
  const pages = kit && (await unseal(user, kit.sealed));
  if (!pages) return null;
  if (chosen.slice().sort().join() !== pages.children.slice().sort().join()) return null;
  const key = ((fields.find(([name]) => name === "start_key") || [])[1] || "").replace(/[^A-Za-z0-9_-]/g, "").slice(0, 64);
  if (!key) return null;
  const draft = `new-${key}`;
  const paths = [];
  for (const [path, html] of Object.entries(pages.pages)) {
    const here = path.replaceAll(DRAFT, draft);
    paths.push(here);
    await put("pages", { user, assessment: draft, path: here, csp: kit.csp, asked: Date.now(), sealed: await seal(user, html.replaceAll(DRAFT, draft)) }, pageKey(user, here));
  }
  await put("state", paths, `stored ${user} ${draft}`);
  await describe(user, draft, { title: pages.title, started: Date.now() });
  await enqueue(user, { kind: "start", assessment: draft, child, section: "start", title: "Start a new assessment" }, fields);
  return `/assessments/${draft}`;
}

async function adopt(user, draft, id) {
  // The server made the draft started here: from now on it is that assessment, on this tablet too.
  await put("state", id, `started ${user} ${draft}`);
  for (const entry of await all("outbox")) {
    if (entry.user === user && entry.assessment === draft) await put("outbox", { ...entry, assessment: id });
  }
  const paths = (await get("state", `stored ${user} ${draft}`)) || [];
  const moved = [];
  const swap = (text) => text.replaceAll(`/assessments/${draft}`, `/assessments/${id}`).replaceAll(`data-heat-offline-assessment="${draft}"`, `data-heat-offline-assessment="${id}"`);
  for (const path of paths) {
    const page = await get("pages", pageKey(user, path));
    const html = page && (await unseal(user, page.sealed));
    if (html) {
      const there = swap(path);
      await put("pages", { ...page, assessment: id, path: there, sealed: await seal(user, swap(html)) }, pageKey(user, there));
      moved.push(there);
    }
    await remove("pages", pageKey(user, path));
  }
  await put("state", moved, `stored ${user} ${id}`);
  await remove("state", `stored ${user} ${draft}`);
  const about = await get("state", `about ${user} ${draft}`);
  if (about) await put("state", about, `about ${user} ${id}`);
  await remove("state", `about ${user} ${draft}`);
  for (const copy of opened.values()) if (copy.user === user && copy.assessment === draft) copy.assessment = id;
}

async function startedAs(user, assessment) {
  // The server's id of an assessment started on this tablet, once it has one.
  if (!user || !String(assessment).startsWith("new-")) return assessment;
  return (await get("state", `started ${user} ${assessment}`)) || assessment;
}

async function forgottenSince(user, page) {
  const forgotten = await get("state", `forgotten ${user} ${page.assessment}`);
  return Boolean(forgotten && forgotten >= (page.asked || 0));
}

// Pages opened from the tablet's copies (by client id): the copy may be out of date before its
// page has even run (the submission it shows as waiting was sent meanwhile).
const opened = new Map();
// A section page's answers kept on the tablet (by client id), read when the page was asked for:
// the page shows them even if they are sent and dropped before its script asks for them.
const keptFor = new Map();
// Check answers' saves held here (by client id), read when the page was asked for.
const savesAtOpening = new Map();
const CHECK = /^\/assessments\/(\d+|new-[\w-]+)\/check$/;

async function forgetAssessment(user, assessment) {
  await put("state", Date.now(), `forgotten ${user} ${assessment}`);
  for (const key of await allKeys("pages")) {
    const page = await get("pages", key);
    if (page && page.user === user && String(page.assessment) === String(assessment)) await remove("pages", key);
  }
  await remove("state", `stored ${user} ${assessment}`);
  await remove("state", `chain ${user} ${assessment}`);
  await remove("state", `about ${user} ${assessment}`);
  // A page showing a copy of it would otherwise say "Submitted on this tablet" after the
  // submission was sent and scored, and never show the rating: it opens again from the server.
  for (const client of await self.clients.matchAll()) {
    const copy = opened.get(client.id);
    if (copy && copy.user === user && String(copy.assessment) === String(assessment)) {
      opened.delete(client.id);
      client.postMessage({ type: "out-of-date" });
    }
  }
}

async function offlinePage(message) {
  const body = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>No connection – HEAT</title><link rel="stylesheet" href="${ASSETS.find((a) => a.endsWith(".css"))}"></head>
<body class="govuk-template__body"><div class="govuk-width-container"><main class="govuk-main-wrapper" id="main-content">
<h1 class="govuk-heading-l">No connection</h1><p class="govuk-body">${message}</p>
<p class="govuk-body">Use your browser’s back button to return to the page you were on.</p></main></div></body></html>`;
  return new Response(body, {
    status: 503,
    headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "Content-Security-Policy": "default-src 'self'; script-src 'none'" },
  });
}

async function fromTablet(user, path) {
  const page = user && (await get("pages", pageKey(user, path)));
  if (page && (await forgottenSince(user, page))) {
    // A copy asked for before its assessment's submission was sent, stored after: never shown.
    await remove("pages", pageKey(user, path));
    return null;
  }
  const html = page && (await unseal(user, page.sealed));
  if (!html) return null;
  return new Response(html, {
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": page.csp,
      "Cache-Control": "no-store",
      "X-Heat-User": user,
    },
  });
}

async function navigate(event) {
  const request = event.request;
  const url = new URL(request.url);
  const path = url.pathname + url.search;
  await endServerSession();
  const user = await currentUser();
  const local = STARTED_HERE.exec(url.pathname);
  const id = local && (await startedAs(user, local[1]));
  if (local && id !== local[1]) return Response.redirect(`/assessments/${id}${local[2]}${url.search}`, 302);
  const stored = user && (await get("pages", pageKey(user, path)));
  const section = user && SECTION.exec(url.pathname);
  const kept = section && (await entryFor(user, section[1], section[2]));
  if (section && event.resultingClientId) keptFor.set(event.resultingClientId, { path: url.pathname, entry: kept });
  const check = user && event.resultingClientId && CHECK.exec(url.pathname);
  if (check) savesAtOpening.set(event.resultingClientId, await savesFor(user, check[1]));
  // A save or submission of this assessment on its way from here, or a save of this section sent:
  // the server's page shows it (or soon will) and the stored copy does not, so the server's page
  // comes first (the stored copy if the server cannot be reached).
  const busy = stored && sending && String(sending.assessment) === String(stored.assessment);
  const open = Boolean(await unlocked(user)) && !password; // just signed in: the server says who
  // A page a save sent from here changed since its copy was asked for: the server's comes first.
  const behind = stored && !stored.networkFirst && (await savedSince(user, stored));
  if (stored && !stored.networkFirst && open && !busy && !(kept && kept.sent) && !behind) {
    // A page of an assessment kept on the tablet opens at once, with no wait on the network; it
    // is asked for again behind it (with its validator) unless the server has just given it.
    if (!(await fresh(user, path))) event.waitUntil(refreshKept(user, stored.assessment, path).catch(() => {}));
    const page = await fromTablet(user, path);
    if (page) {
      if (event.resultingClientId) opened.set(event.resultingClientId, { user, assessment: stored.assessment });
      return page;
    }
  }
  try {
    const asked = Date.now();
    const validator = open ? conditional(stored, user) : {};
    // (A navigation's own request cannot be copied with other headers: the same request, by its URL.)
    const response = await (validator["If-None-Match"]
      ? timed(request.url, { headers: validator, redirect: "manual", credentials: "same-origin" })
      : timed(request));
    const waiting = async () => user && (await all("outbox")).some((e) => e.user === user && !e.sent);
    if (response.status === 304 && response.headers.get("X-Heat-User") === user) {
      // The stored copy is what the server would send (the same session: its tokens still hold).
      if (await waiting()) event.waitUntil(drain()); // the server answers again
      await confirmed(user, path, stored.etag, asked);
      fromServerSince(event.resultingClientId, asked);
      const copy = await fromTablet(user, path);
      if (copy) {
        if (event.resultingClientId) opened.set(event.resultingClientId, { user, assessment: stored.assessment });
        return copy;
      }
      return timed(request); // the copy went meanwhile (a submission sent): the page itself
    }
    if (!UNREACHABLE.has(response.status)) {
      await noteUser(response);
      fromServerSince(event.resultingClientId, asked);
      if (await waiting()) event.waitUntil(drain()); // the server answers again
      if (stored && response.ok && response.headers.get("X-Heat-User") === user) {
        event.waitUntil(keepPage(user, stored.assessment, path, response.clone(), asked, Boolean(stored.networkFirst)).catch(() => {}));
      }
      return response;
    }
  } catch (error) {
    /* no network, refused, reset or too slow */
  }
  const fallback = url.pathname === "/" ? TABLET_PAGE : path;
  const now = await currentUser();
  if (now && !(await unlocked(now)) && (await get("pages", pageKey(now, fallback)))) {
    const unlock = await storedPage("unlock");
    if (unlock) return unlock;
  }
  if (!now) {
    // Nobody is signed in on this tablet: the next person gets the sign-in page, and nothing else.
    const signIn = await signInPage();
    if (signIn) return signIn;
  }
  return (
    (await fromTablet(await currentUser(), fallback)) ||
    offlinePage("HEAT cannot be reached, and this page is not stored on this tablet. Open an assessment while you have a signal to work on it offline.")
  );
}

/* --- saves: answered on the tablet, sent behind ------------------------------------------ */

async function post(event) {
  const request = event.request;
  const url = new URL(request.url);
  const form = await request.clone().formData();
  const fields = [...form.entries()].filter(([, value]) => typeof value === "string");
  const section = SECTION.exec(url.pathname);
  if (fields.some(([name]) => ["add_row", "remove_row", "add_photo", "remove_photo"].includes(name))) {
    // "Add another", "Remove" or a photo's buttons without the page's script: not a save; the
    // server redraws the form (removing a photo needs a signal).
    return fetch(request).catch(() => offlinePage("HEAT cannot be reached. A photo that has been sent is removed, and a photo added without saving the section, when you have a signal."));
  }
  const user = await currentUser();
  const assessment = await startedAs(user, (section || SUBMIT.exec(url.pathname))[1]);
  const stored = user && (await get("state", `stored ${user} ${assessment}`));
  let response = null;
  if (!stored) {
    // Not kept on this tablet: the server answers, unless it cannot be reached.
    try {
      response = await timed(url.pathname, {
        method: "POST",
        body: new URLSearchParams(fields),
        headers: { "X-Heat-Outbox": "1" },
        redirect: "manual",
        credentials: "same-origin",
      });
    } catch (error) {
      response = null;
    }
    if (response && !UNREACHABLE.has(response.status) && response.status !== 401) return response;
    if (!user) return response || offlinePage("HEAT cannot be reached. Sign in again when you have a signal.");
  }
  const value = (name) => (fields.find(([key]) => key === name) || [])[1];
  if (section) {
    await enqueue(user, { kind: "save", assessment, section: section[2], title: value("offline_title") || section[2] }, fields);
  } else {
    await enqueue(user, { kind: "submit", assessment, section: "submit", title: "Submit assessment" }, fields);
  }
  const signedOut = response && response.status === 401;
  const next = signedOut
    ? url.pathname // where signing in again leads
    : (section && value(value("save_later") !== undefined ? "offline_later" : "offline_next")) || `/assessments/${assessment}`;
  // What the page this save opens says ("Saved on this tablet..."): addressed to that page, as any
  // other page (another tab, a page asking for a round of sending) may ask what waits meanwhile.
  await put("state", { kind: section ? "saved" : "submitted", path: next }, `flash ${user}`);
  event.waitUntil(drain());
  if (signedOut) {
    // Signed out meanwhile: the save waits here until the same practitioner signs in again.
    return Response.redirect(`/sign-in?next=${encodeURIComponent(url.pathname)}`, 303);
  }
  return Response.redirect(next, 303);
}

async function start(event) {
  // "Start a new assessment": the server starts it when it answers; with no signal, the tablet.
  const request = event.request;
  const form = await request.clone().formData();
  const fields = [...form.entries()].filter(([, value]) => typeof value === "string");
  const url = new URL(request.url);
  try {
    const response = await timed(url.pathname, { method: "POST", body: new URLSearchParams(fields), redirect: "manual", credentials: "same-origin" });
    if (!UNREACHABLE.has(response.status)) return response;
  } catch (error) {
    /* no network, refused, reset or too slow */
  }
  const user = await currentUser();
  const draft = user && (await startHere(user, START.exec(url.pathname)[1], fields));
  if (draft) {
    event.waitUntil(drain());
    return Response.redirect(draft, 303);
  }
  return offlinePage(
    "HEAT cannot be reached, and a new assessment for these children is not stored on this tablet. With no signal, a visit can cover one child, or all the children of the household, once your caseload was opened with a signal.",
  );
}

async function enqueue(user, entry, fields) {
  const entries = await all("outbox");
  for (const older of entries) {
    if (older.user === user && older.kind === "save" && entry.kind === "save" && older.assessment === entry.assessment && older.section === entry.section) {
      // A section saved twice goes as one save: based on the version the waiting one started from,
      // or on the version a save already sent from here made (the page may predate it).
      const before = older.sent ? null : await unseal(user, older.sealed);
      const version = older.sent
        ? ["version", String(older.sectionVersion)]
        : before && before.fields.find(([key]) => key === "version");
      if (version) fields = [...fields.filter(([key]) => key !== "version"), version];
      await remove("outbox", older.id);
    }
  }
  await put("outbox", { ...entry, user, at: Date.now(), sealed: await seal(user, { fields }) });
  await describe(user, entry.assessment, { changed: Date.now() });
  if (self.registration.sync) self.registration.sync.register("heat-outbox").catch(() => {});
  tellPages();
}

async function dropPhoto(user, page, section, field) {
  // "Remove photo" on a photo saved on this tablet and not sent yet: taken out of the waiting
  // save, which keeps its answers. Once on its way or sent, it is the server's to remove.
  const assessment = await startedAs(user, page);
  const entry = (await all("outbox")).find((e) => e.user === user && e.kind === "save" && !e.sent && String(e.assessment) === String(assessment) && e.section === section);
  if (!entry) return { sent: true };
  if (draining || (sending && sending.id === entry.id)) return { sending: true };
  const payload = await unseal(user, entry.sealed);
  if (!payload) return { sent: true };
  const sealed = await seal(user, { fields: payload.fields.filter(([name]) => name !== field) });
  // Read again after the waits: the outbox may have sent it, or merged a newer save into it, meanwhile.
  const now = await get("outbox", entry.id);
  if (!now || now.sent || draining || (sending && sending.id === entry.id)) return { sending: true };
  await put("outbox", { ...now, sealed });
  return { removed: true };
}

let draining = null;
let again = false;
let sending = null; // the outbox entry on its way to the server, until the tablet has done with its answer
function drain() {
  // One round of sending at a time; an entry added during a round gets a round of its own.
  if (draining) {
    again = true;
    return draining;
  }
  draining = (async () => {
    do {
      again = false;
      await send();
    } while (again);
  })().finally(() => {
    draining = null;
    sending = null;
  });
  return draining;
}

async function send() {
  const user = await currentUser();
  if (!user) return;
  const mine = (await all("outbox")).filter((e) => e.user === user);
  const waiting = mine.filter((e) => !e.sent).sort((a, b) => a.id - b.id);
  if (!waiting.length) return;
  let session;
  try {
    session = await serverSession();
  } catch (error) {
    return note(user, { unreachable: true });
  }
  if (!session) return note(user, { signedOut: true, unreachable: false }); // wait for the same practitioner
  if (session.user !== user) {
    await put("state", session.user, "user");
    return; // someone else is signed in: their entries only, never these
  }
  for (const listed of waiting) {
    sending = listed; // before the reads below: "Remove photo" leaves it alone from here
    const entry = await get("outbox", listed.id); // as it is now: a waiting submit may have moved on
    if (!entry) continue;
    const payload = await unseal(user, entry.sealed);
    if (!payload) continue; // locked, or sealed with a key since lost: never sent empty
    if (entry.kind === "submit") payload.fields = await carriedForward(user, entry.assessment, payload.fields);
    const path =
      entry.kind === "start"
        ? `/api/children/${entry.child}/assessments`
        : entry.kind === "save"
          ? `/api/assessments/${entry.assessment}/sections/${entry.section}`
          : `/api/assessments/${entry.assessment}/submit`;
    let response;
    let answer;
    sending = entry;
    try {
      response = await timed(path, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": session.csrf },
        body: JSON.stringify({ fields: payload ? payload.fields : [] }),
      });
      answer = await response.json().catch(() => ({ status: "error" }));
      if (answer.status === "saved") {
        await put("outbox", { ...entry, sent: true, sentAt: Date.now(), sectionVersion: answer.section_version });
        await noteSent(user, entry);
      }
    } catch (error) {
      await note(user, { unreachable: true });
      break; // the signal went again: the rest wait, in order
    }
    if (response.status >= 500) {
      await note(user, { unreachable: true });
      break;
    }
    if (response.status === 401 || answer.status === "csrf" || answer.status === "signed_out") {
      await note(user, { signedOut: true });
      break; // after signing in, with a fresh token
    }
    await note(user, { unreachable: false, signedOut: false, sentAt: Date.now() });
    if (answer.status === "started") {
      await adopt(user, entry.assessment, answer.assessment);
      await remove("outbox", entry.id);
      continue;
    }
    if (answer.status === "saved") {
      // Kept (as sent, above) until the tablet's copy of the section shows it: until then the
      // section page comes from the server, or shows these answers over its older stored copy.
      await remember(user, entry.assessment, answer);
      continue;
    }
    if (answer.status === "submitted") {
      // The stored copies go before the entry does: a page that sees the submission gone never
      // opens the tablet's old copy of the task list.
      await forgetAssessment(user, entry.assessment);
      await dropSent(user, entry.assessment);
    } else {
      await attention(user, entry, answer);
    }
    await remove("outbox", entry.id);
  }
  sending = null;
  tellPages();
}

async function dropSent(user, assessment) {
  for (const entry of await all("outbox")) {
    if (entry.user === user && entry.sent && entry.assessment === assessment) await remove("outbox", entry.id);
  }
}

async function note(user, flags) {
  // What the last try to send found: the pages say why saves still wait.
  const now = (await get("state", `link ${user}`)) || {};
  await put("state", { ...now, ...flags }, `link ${user}`);
  tellPages();
}

async function remember(user, assessment, answer) {
  // Each save this tablet made moved the assessment one version on: remembered, so a waiting
  // "Submit assessment" (made on a page from before them) is carried over them, and over nothing
  // else: anyone else's change in between still makes it a conflict.
  const key = `chain ${user} ${assessment}`;
  const chain = (await get("state", key)) || {};
  chain[String(answer.previous_version)] = String(answer.version);
  await put("state", chain, key);
}

async function carriedForward(user, assessment, fields) {
  const chain = (await get("state", `chain ${user} ${assessment}`)) || {};
  return fields.map(([name, value]) => {
    if (name !== "version") return [name, value];
    let version = String(value);
    const seen = new Set();
    while (chain[version] && !seen.has(version)) {
      seen.add(version);
      version = chain[version];
    }
    return [name, version];
  });
}

async function attention(user, entry, answer) {
  const list = (await get("state", `attention ${user}`)) || [];
  const url = answer.url || `/assessments/${entry.assessment}`;
  list.push({ title: entry.title, status: answer.status, url });
  await put("state", list, `attention ${user}`);
}

async function status(user, path = null) {
  // Messages are shown once, by the page that takes them. The flash goes only to the page the save
  // opened (`path`, sent by a page as it opens): any other look leaves it for that page.
  const entries = (await all("outbox")).filter((e) => e.user === user && !e.sent);
  const left = path && (await get("state", `flash ${user}`));
  const flash = left && left.path === path ? left.kind : null;
  if (flash) await remove("state", `flash ${user}`);
  const attentionList = (await get("state", `attention ${user}`)) || [];
  await remove("state", `attention ${user}`);
  const link = (await get("state", `link ${user}`)) || {};
  const prefix = `stored ${user} `;
  const stored = (await allKeys("state")).filter((k) => typeof k === "string" && k.startsWith(prefix));
  const startedPrefix = `started ${user} `;
  const started = {};
  for (const key of await allKeys("state")) {
    if (typeof key === "string" && key.startsWith(startedPrefix)) started[key.slice(startedPrefix.length)] = await get("state", key);
  }
  const visits = [];
  for (const assessment of stored.map((k) => k.slice(prefix.length))) {
    const about = (await get("state", `about ${user} ${assessment}`)) || {};
    const title = about.title ? await unseal(user, about.title).catch(() => null) : null;
    const waiting = entries.filter((e) => e.assessment === assessment).length;
    visits.push({ assessment, title, started: about.started || null, changed: about.changed || null, waiting });
  }
  return {
    stored: stored.map((k) => k.slice(prefix.length)),
    visits,
    started,
    caseload: (await get("state", `caseload ${user}`)) || null,
    locked: !(await unlocked(user)),
    pin: Boolean(await get("keys", `pin ${user}`)),
    lastSent: link.sentAt || null,
    unreachable: Boolean(link.unreachable),
    signedOut: Boolean(link.signedOut),
    waiting: entries.length,
    entries: entries.map((e) => ({ assessment: e.assessment, section: e.section, kind: e.kind, title: e.title, at: e.at })),
    flash,
    attention: attentionList,
  };
}

async function entryFor(user, assessment, section) {
  const entry = (await all("outbox")).find((e) => e.user === user && e.assessment === assessment && e.section === section);
  if (!entry) return null;
  const payload = await unseal(user, entry.sealed);
  return payload && { ...payload, sent: Boolean(entry.sent) };
}

async function savesFor(user, assessment) {
  // The section saves of an assessment held here, sent or not, as they were posted: what Check
  // answers shows until the server's copy of it has them (check_answers.js).
  const id = await startedAs(user, assessment);
  const saves = [];
  for (const entry of await all("outbox")) {
    if (entry.user !== user || entry.kind !== "save" || ![String(id), String(assessment)].includes(String(entry.assessment))) continue;
    const payload = await unseal(user, entry.sealed);
    if (payload) saves.push({ section: entry.section, fields: payload.fields, sent: Boolean(entry.sent), sentAt: entry.sentAt || 0 });
  }
  return saves;
}

function fromServerSince(client, asked) {
  // The page opening was the server's, asked for at `asked`: it shows every save sent before then,
  // so Check answers shows over it only the saves it cannot have (waiting, or sent since).
  const opening = client && savesAtOpening.get(client);
  if (opening) savesAtOpening.set(client, opening.filter((s) => !s.sent || s.sentAt > asked));
}

async function savesShown(client, user, message) {
  // Now, and as they were when the page was asked for (sent and dropped since, the page may still
  // be the tablet's copy from before them).
  const opening = client && savesAtOpening.get(client.id);
  if (client) savesAtOpening.delete(client.id);
  return { saves: await savesFor(user, message.assessment), opened: opening || [] };
}

function keptAnswers(client, user, message) {
  // What the page was opened with, or (a page this worker did not open) what the tablet holds now.
  const opening = client && keptFor.get(client.id);
  if (client) keptFor.delete(client.id);
  if (opening && opening.path === `/assessments/${message.assessment}/sections/${message.section}`) return opening.entry;
  return entryFor(user, message.assessment, message.section);
}

async function signOut(user, keep) {
  await lockAll(); // first: a page being stored meanwhile cannot be sealed, or is taken back
  for (const key of await allKeys("pages")) if (key.startsWith(`${user} `)) await remove("pages", key);
  for (const key of await allKeys("state")) if (typeof key === "string" && key.includes(` ${user}`)) await remove("state", key);
  if (!keep) {
    for (const entry of await all("outbox")) if (entry.user === user) await remove("outbox", entry.id);
    // A PIN set here stays, and the copy its next sign-in opens (they protect nothing left here).
    const pin = await get("keys", `pin ${user}`);
    for (const key of [user, `wrapped ${user}`, ...(pin ? [] : [`escrow ${user}`])]) await remove("keys", key);
  }
  await put("state", null, "user");
}

async function tellPages() {
  for (const client of await self.clients.matchAll()) client.postMessage({ type: "outbox-changed" });
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  } else if (request.mode === "navigate" && request.method === "POST" && url.pathname === "/sign-out") {
    event.respondWith(signOutPost(event));
  } else if (request.mode === "navigate" && request.method === "POST" && START.test(url.pathname)) {
    event.respondWith(start(event));
  } else if (request.mode === "navigate" && request.method === "GET") {
    event.respondWith(navigate(event));
  } else if (request.mode === "navigate" && request.method === "POST" && (SECTION.test(url.pathname) || SUBMIT.test(url.pathname))) {
    event.respondWith(post(event));
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag === "heat-outbox") event.waitUntil(drain());
});

self.addEventListener("message", (event) => {
  const message = event.data || {};
  const reply = (value) => event.ports[0] && event.ports[0].postMessage(value);
  const work = (async () => {
    if (message.type === "password") {
      // From the sign-in page, just before it is sent: kept here until the user is known.
      password = { key: message.key, at: Date.now() };
      return reply({ done: true });
    }
    if (message.type === "unlock") return reply(await tryUnlock(message.key, message.kind));
    if (message.type === "unlock-methods") return reply(await unlockMethods());
    let user = await currentUser();
    if (message.user && message.user !== user) user = await askServer();
    // A page speaks for the user the server last named, and for nobody else.
    if (!user || message.user !== user) return reply({ error: "not-current-user" });
    try {
      if (message.type === "status") reply(await status(user, message.path));
      else if (message.type === "status-quiet") reply(await status(user));
      else if (message.type === "drain") reply(await drain().then(() => status(user)));
      else if (message.type === "store") reply({ ready: await storeAssessment(user, message.assessment, message.paths, message.title) });
      else if (message.type === "store-caseload") reply({ ready: await storeCaseloadOnce(user, message.paths, message.children) });
      else if (message.type === "forget") reply({ done: await forgetAssessment(user, message.assessment) });
      else if (message.type === "entry") reply({ entry: await keptAnswers(event.source, user, message) });
      else if (message.type === "saves") reply(await savesShown(event.source, user, message));
      else if (message.type === "sign-out") reply({ done: await signOut(user, message.keep) });
      else if (message.type === "pin") reply(await setPin(user, message.key));
      else if (message.type === "drop-photo") reply(await dropPhoto(user, message.assessment, message.section, message.field));
    } catch (error) {
      reply({ error: String(error) });
    }
  })();
  event.waitUntil(work);
});
