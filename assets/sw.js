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
   page comes from the server, and from here only when the server cannot be reached.

   This file wires the worker's events to its modules in assets/sw/ (store.js: IndexedDB; crypto.js:
   the keys and sealing; session.js: who is signed in; pages.js: stored pages; outbox.js: saves
   sent behind; routes.js: what a page's request is answered with). assets/build.mjs bundles them
   into static/dist/sw.js with esbuild. */
import { ASSETS, SECTION, START, STATIC_CACHE, SUBMIT } from "./sw/config.js";
import { drain, dropPhoto, status } from "./sw/outbox.js";
import { forgetAssessment, storeAssessment, storeCaseloadOnce } from "./sw/pages.js";
import { keptAnswers, navigate, post, savesShown, signOutPost, start } from "./sw/routes.js";
import { askServer, currentUser, passwordGiven, setPin, signOut, tryUnlock, unlockMethods } from "./sw/session.js";

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

async function pinSet(user, key) {
  const answer = await setPin(user, key);
  if (answer.set) drain(); // saves kept since a key was erased can be opened and sent again
  return answer;
}

self.addEventListener("message", (event) => {
  const message = event.data || {};
  const reply = (value) => event.ports[0] && event.ports[0].postMessage(value);
  const work = (async () => {
    if (message.type === "password") {
      // From the sign-in page, just before it is sent: kept here until the user is known.
      passwordGiven(message.key);
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
      else if (message.type === "pin") reply(await pinSet(user, message.key));
      else if (message.type === "drop-photo") reply(await dropPhoto(user, message.assessment, message.section, message.field));
    } catch (error) {
      reply({ error: String(error) });
    }
  })();
  event.waitUntil(work);
});
