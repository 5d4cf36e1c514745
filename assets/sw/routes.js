/* What the service worker answers for a page: a navigation (the stored copy at once, or the
   server's page first), a save or submission (answered here, sent behind), "Start a new
   assessment" and "Sign out", with no signal as with one. */
import { CHECK, SECTION, START, STARTED_HERE, SUBMIT, TABLET_PAGE, UNREACHABLE, timed } from "./config.js";
import { unlocked } from "./crypto.js";
import { drain, enqueue, entryFor, savesFor, sending } from "./outbox.js";
import { conditional, confirmed, describe, draftFromKit, fresh, fromTablet, keepPage, offlinePage, opened, pageKey, refreshKept, savedSince, startedAs, storedPage } from "./pages.js";
import { currentUser, noteUser, passwordPending, signOut } from "./session.js";
import { all, get, put, remove } from "./store.js";

// A section page's answers kept on the tablet (by client id), read when the page was asked for:
// the page shows them even if they are sent and dropped before its script asks for them.
const keptFor = new Map();
// Check answers' saves held here (by client id), read when the page was asked for.
const savesAtOpening = new Map();

const formFields = async (request) => [...(await request.clone().formData()).entries()].filter(([, value]) => typeof value === "string");

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

export async function signOutPost(event) {
  // The page's script has ended the tablet's session already (heat.js); a page without it keeps
  // what waits. The server's session ends now, or at the next contact.
  const user = await currentUser();
  if (user) await signOut(user, true);
  const fields = await formFields(event.request);
  try {
    const response = await timed("/sign-out", { method: "POST", body: new URLSearchParams(fields), redirect: "manual", credentials: "same-origin" });
    if (!UNREACHABLE.has(response.status)) return response;
  } catch (error) {
    /* no network, refused, reset or too slow */
  }
  await put("state", true, "sign-out pending");
  return Response.redirect("/sign-in", 303);
}

export async function navigate(event) {
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
  const open = Boolean(await unlocked(user)) && !passwordPending(); // just signed in: the server says who
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
    const signIn = await storedPage("sign-in");
    if (signIn) return signIn;
  }
  return (
    (await fromTablet(await currentUser(), fallback)) ||
    offlinePage("HEAT cannot be reached, and this page is not stored on this tablet. Open an assessment while you have a signal to work on it offline.")
  );
}

/* --- saves: answered on the tablet, sent behind ------------------------------------------ */

export async function post(event) {
  const request = event.request;
  const url = new URL(request.url);
  const fields = await formFields(request);
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

async function startHere(user, child, fields) {
  // "Start a new assessment" with no signal: the tablet makes the draft from the pages it keeps for
  // the children chosen, under the page's start key; sent, the start key makes the server's draft
  // once, for the same children.
  const chosen = fields.filter(([name]) => name === "children").map(([, value]) => value);
  const key = ((fields.find(([name]) => name === "start_key") || [])[1] || "").replace(/[^A-Za-z0-9_-]/g, "").slice(0, 64);
  const made = key && (await draftFromKit(user, chosen, key));
  if (!made) return null;
  await describe(user, made.draft, { title: made.title, started: Date.now() });
  await enqueue(user, { kind: "start", assessment: made.draft, child, section: "start", title: "Start a new assessment" }, fields);
  return `/assessments/${made.draft}`;
}

export async function start(event) {
  // "Start a new assessment": the server starts it when it answers; with no signal, the tablet.
  const request = event.request;
  const fields = await formFields(request);
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

/* --- what a page opened from here asks for ------------------------------------------------- */

function fromServerSince(client, asked) {
  // The page opening was the server's, asked for at `asked`: it shows every save sent before then,
  // so Check answers shows over it only the saves it cannot have (waiting, or sent since).
  const opening = client && savesAtOpening.get(client);
  if (opening) savesAtOpening.set(client, opening.filter((s) => !s.sent || s.sentAt > asked));
}

export async function savesShown(client, user, message) {
  // Now, and as they were when the page was asked for (sent and dropped since, the page may still
  // be the tablet's copy from before them).
  const opening = client && savesAtOpening.get(client.id);
  if (client) savesAtOpening.delete(client.id);
  return { saves: await savesFor(user, message.assessment), opened: opening || [] };
}

export function keptAnswers(client, user, message) {
  // What the page was opened with, or (a page this worker did not open) what the tablet holds now.
  const opening = client && keptFor.get(client.id);
  if (client) keptFor.delete(client.id);
  if (opening && opening.path === `/assessments/${message.assessment}/sections/${message.section}`) return opening.entry;
  return entryFor(user, message.assessment, message.section);
}
