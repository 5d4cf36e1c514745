/* Stored pages: the pages of assessments whose task list was opened online (task list, sections,
   check answers), the caseload, each child's new-visit kit, "On this tablet" and the sign-in and
   unlock pages, each sealed with its user's key and kept with its validator (ETag). A stored page
   is asked for again with If-None-Match: a 304 keeps the copy and downloads nothing. */
import { ASSETS, DRAFT, FRESH_MS, SECTION, STATIC_CACHE, STORING_MS, TABLET_PAGE, timed } from "./config.js";
import { seal, unlocked, unseal } from "./crypto.js";
import { all, change, get, put, remove, update } from "./store.js";

export const pageKey = (user, path) => `${user} ${path}`;
export const kitKey = (user, children) => `${user} kit ${children.slice().sort().join()}`;

// Pages opened from the tablet's copies (by client id): the copy may be out of date before its
// page has even run (the submission it shows as waiting was sent meanwhile).
export const opened = new Map();

export async function keepPage(user, assessment, path, response, asked = Date.now(), networkFirst = false) {
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

export function conditional(page, user) {
  // The validator the copy came with, for the server to answer 304 if it would send the same.
  return page && page.user === user && page.etag ? { "If-None-Match": page.etag } : {};
}

export async function confirmed(user, path, etag, asked) {
  // The server answered 304: the stored copy is current as of `asked` (the copy is kept as it
  // is; only when it was last confirmed changes). Never a copy deleted or replaced meanwhile.
  const page = await change(["pages"], async (tx) => {
    const pages = tx.objectStore("pages");
    const now = await pages.get(pageKey(user, path));
    if (!now || now.etag !== etag || (now.asked || 0) > asked) return null;
    await pages.put({ ...now, asked }, pageKey(user, path));
    return now;
  });
  if (!page) return;
  if (!(await unlocked(user))) await remove("pages", pageKey(user, path));
  await settled(user, page.assessment, path, asked);
}

export async function refreshKept(user, assessment, path, networkFirst = false) {
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

export async function savedSince(user, page) {
  // A save sent from here after this copy was asked for, that changed what it shows: the task list
  // and check answers change with every save, a section with its own.
  const sent = page && page.assessment && (await get("state", `sent ${user} ${page.assessment}`));
  if (!sent) return false;
  const section = SECTION.exec(page.path || "");
  const at = section ? sent.sections[section[2]] || 0 : sent.at;
  return at > (page.asked || 0);
}

export async function fresh(user, path) {
  // The stored copy was sent or confirmed by the server in the last two minutes, and no save sent
  // from here has changed it since: "a page it has just been given".
  const page = await get("pages", pageKey(user, path));
  return Boolean(page && page.etag && Date.now() - (page.asked || 0) < FRESH_MS && !(await savedSince(user, page)));
}

async function settled(user, assessment, path, asked) {
  // A section's copy asked for after its save was sent shows that save: the sent entry, kept
  // until then (its answers shown over the older copy, its version carried to the next save), goes.
  const section = SECTION.exec(path || "");
  if (!section) return;
  await change(["outbox"], async (tx) => {
    const outbox = tx.objectStore("outbox");
    for (const entry of await outbox.getAll()) {
      if (entry.user === user && entry.sent && String(entry.assessment) === String(assessment) && entry.section === section[2] && (entry.sentAt || 0) <= asked) {
        await outbox.delete(entry.id);
      }
    }
  });
}

async function keepStaticFiles() {
  const cache = await caches.open(STATIC_CACHE);
  for (const asset of ASSETS) if (!(await cache.match(asset))) await cache.add(asset);
}

export async function storeAssessment(user, assessment, paths, title) {
  const submitted = (await all("outbox")).some((e) => e.user === user && e.kind === "submit" && String(e.assessment) === String(assessment));
  if (submitted && (await get("state", `stored ${user} ${assessment}`))) return true; // done here: its copies go once it is sent
  await keepStaticFiles();
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

export async function storedPage(name) {
  // "sign-in" or "unlock": nobody's page.
  const page = await get("pages", name);
  if (!page) return null;
  return new Response(page.html, { headers: { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": page.csp, "Cache-Control": "no-store" } });
}

async function storeShell(user) {
  // "On this tablet": what `/` opens when HEAT cannot be reached, also after a browser restart.
  const response = await timed(TABLET_PAGE, { headers: { "X-Heat-Background": "1" }, redirect: "error" });
  if (response.ok && response.headers.get("X-Heat-User") === user) await keepPage(user, "shell", TABLET_PAGE, response, Date.now(), true);
}

export async function describe(user, assessment, news) {
  // What "On this tablet" says of a visit (its children's names sealed, like the pages).
  const { title, ...rest } = news;
  const sealed = title ? await seal(user, title) : null;
  await update("state", `about ${user} ${assessment}`, (now) => ({ ...now, ...rest, ...(sealed ? { title: sealed } : {}) }));
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
export async function storeCaseloadOnce(user, paths, children) {
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
  await keepStaticFiles();
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
  await change(["pages"], async (tx) => {
    const pages = tx.objectStore("pages");
    for (const key of await pages.getAllKeys()) {
      if (typeof key === "string" && key.startsWith(kitPrefix) && !kits.has(key)) await pages.delete(key);
    }
  });
  // "Ready to work offline" (the caseload's state) only once everything a restart with no signal
  // needs is kept: "On this tablet" and the sign-in and unlock pages. Said earlier, a caseload
  // opened again meanwhile showed it while the unlock page was still on its way.
  await storeShell(user);
  await storeSignIn();
  await put("state", Date.now(), `caseload ${user}`);
  return true;
}

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

export async function draftFromKit(user, chosen, key) {
  // "Start a new assessment" with no signal: the pages of a draft, made from the kit kept for the
  // children chosen, under the page's start key: { draft, title }, or null when no kit fits.
  const kit = chosen.length && (await get("pages", kitKey(user, chosen)));
  const pages = kit && (await unseal(user, kit.sealed));
  if (!pages) return null;
  if (chosen.slice().sort().join() !== pages.children.slice().sort().join()) return null;
  const draft = `new-${key}`;
  const made = [];
  for (const [path, html] of Object.entries(pages.pages)) {
    const here = path.replaceAll(DRAFT, draft);
    made.push([pageKey(user, here), { user, assessment: draft, path: here, csp: kit.csp, asked: Date.now(), sealed: await seal(user, html.replaceAll(DRAFT, draft)) }]);
  }
  await change(["pages", "state"], async (tx) => {
    for (const [key, page] of made) await tx.objectStore("pages").put(page, key);
    await tx.objectStore("state").put(made.map(([, page]) => page.path), `stored ${user} ${draft}`);
  });
  return { draft, title: pages.title };
}

export async function adopt(user, draft, id) {
  // The server made the draft started here: from now on it is that assessment, on this tablet too
  // (its outbox entries, pages and notes move together).
  const paths = (await get("state", `stored ${user} ${draft}`)) || [];
  const swap = (text) => text.replaceAll(`/assessments/${draft}`, `/assessments/${id}`).replaceAll(`data-heat-offline-assessment="${draft}"`, `data-heat-offline-assessment="${id}"`);
  const moved = [];
  for (const path of paths) {
    const page = await get("pages", pageKey(user, path));
    const html = page && (await unseal(user, page.sealed));
    moved.push({ from: path, page: html ? { ...page, assessment: id, path: swap(path), sealed: await seal(user, swap(html)) } : null });
  }
  await change(["state", "outbox", "pages"], async (tx) => {
    const state = tx.objectStore("state");
    const outbox = tx.objectStore("outbox");
    const pages = tx.objectStore("pages");
    await state.put(id, `started ${user} ${draft}`);
    for (const entry of await outbox.getAll()) {
      if (entry.user === user && entry.assessment === draft) await outbox.put({ ...entry, assessment: id });
    }
    for (const { from, page } of moved) {
      await pages.delete(pageKey(user, from));
      if (page) await pages.put(page, pageKey(user, page.path));
    }
    await state.put(
      moved.filter(({ page }) => page).map(({ page }) => page.path),
      `stored ${user} ${id}`,
    );
    await state.delete(`stored ${user} ${draft}`);
    const about = await state.get(`about ${user} ${draft}`);
    if (about) await state.put(about, `about ${user} ${id}`);
    await state.delete(`about ${user} ${draft}`);
  });
  for (const copy of opened.values()) if (copy.user === user && copy.assessment === draft) copy.assessment = id;
}

export async function startedAs(user, assessment) {
  // The server's id of an assessment started on this tablet, once it has one.
  if (!user || !String(assessment).startsWith("new-")) return assessment;
  return (await get("state", `started ${user} ${assessment}`)) || assessment;
}

async function forgottenSince(user, page) {
  const forgotten = await get("state", `forgotten ${user} ${page.assessment}`);
  return Boolean(forgotten && forgotten >= (page.asked || 0));
}

export async function forgetAssessment(user, assessment) {
  await change(["state", "pages"], async (tx) => {
    const state = tx.objectStore("state");
    await state.put(Date.now(), `forgotten ${user} ${assessment}`);
    const pages = tx.objectStore("pages");
    for (const key of await pages.getAllKeys()) {
      const page = await pages.get(key);
      if (page && page.user === user && String(page.assessment) === String(assessment)) await pages.delete(key);
    }
    for (const what of ["stored", "chain", "about"]) await state.delete(`${what} ${user} ${assessment}`);
  });
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

export async function offlinePage(message) {
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

export async function fromTablet(user, path) {
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

