/* The outbox: the section saves, starts and submissions made on this tablet, sealed with their
   user's key, answered here at once and sent behind, in order, one round at a time; each keeps its
   own save key, so a replay never stores twice. A user's entries are only ever read, shown or sent
   for that user. */
import { serverSession, timed } from "./config.js";
import { seal, unlocked, unseal } from "./crypto.js";
import { adopt, describe, forgetAssessment, startedAs } from "./pages.js";
import { currentUser } from "./session.js";
import { all, allKeys, change, get, put, remove, update } from "./store.js";

export async function enqueue(user, entry, fields) {
  // A section saved twice goes as one save: based on the version the waiting one started from,
  // or on the version a save already sent from here made (the page may predate it). The older
  // save goes and the newer comes in one transaction: never both, never neither.
  const older = (await all("outbox")).filter(
    (e) => e.user === user && e.kind === "save" && entry.kind === "save" && e.assessment === entry.assessment && e.section === entry.section,
  );
  for (const before of older) {
    const payload = before.sent ? null : await unseal(user, before.sealed);
    const version = before.sent ? ["version", String(before.sectionVersion)] : payload && payload.fields.find(([key]) => key === "version");
    if (version) fields = [...fields.filter(([key]) => key !== "version"), version];
  }
  const sealed = await seal(user, { fields });
  await change(["outbox"], async (tx) => {
    const outbox = tx.objectStore("outbox");
    for (const before of older) await outbox.delete(before.id);
    await outbox.put({ ...entry, user, at: Date.now(), sealed });
  });
  await describe(user, entry.assessment, { changed: Date.now() });
  if (self.registration.sync) self.registration.sync.register("heat-outbox").catch(() => {});
  tellPages();
}

export async function dropPhoto(user, page, section, field) {
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
  return change(["outbox"], async (tx) => {
    const now = await tx.objectStore("outbox").get(entry.id);
    if (!now || now.sent || draining || (sending && sending.id === entry.id)) return { sending: true };
    await tx.objectStore("outbox").put({ ...now, sealed });
    return { removed: true };
  });
}

export let draining = null;
let again = false;
export let sending = null; // the outbox entry on its way to the server, until the tablet has done with its answer
export function drain() {
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

const pathOf = (entry) =>
  entry.kind === "start"
    ? `/api/children/${entry.child}/assessments`
    : entry.kind === "save"
      ? `/api/assessments/${entry.assessment}/sections/${entry.section}`
      : `/api/assessments/${entry.assessment}/submit`;

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
    let response;
    let answer;
    sending = entry;
    try {
      response = await timed(pathOf(entry), {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": session.csrf },
        body: JSON.stringify({ fields: payload.fields }),
      });
      answer = await response.json().catch(() => ({ status: "error" }));
      if (answer.status === "saved") await markSent(user, entry, answer);
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
      await dropSent(user, entry.assessment, entry.id);
    } else {
      await attention(user, entry, answer);
      await remove("outbox", entry.id);
    }
  }
  sending = null;
  tellPages();
}

async function markSent(user, entry, answer) {
  // A save the server stored: kept as sent (with the section's new version), and the pages it
  // changed are out of date on the tablet from now on, until they are next asked for (savedSince
  // in pages.js); nothing is fetched for it now.
  const at = Date.now();
  const key = `sent ${user} ${entry.assessment}`;
  await change(["outbox", "state"], async (tx) => {
    await tx.objectStore("outbox").put({ ...entry, sent: true, sentAt: at, sectionVersion: answer.section_version });
    const sent = (await tx.objectStore("state").get(key)) || { at: 0, sections: {} };
    await tx.objectStore("state").put({ at, sections: { ...sent.sections, [entry.section]: at } }, key);
  });
}

async function dropSent(user, assessment, submission) {
  // The submission sent, and the saves before it kept as sent.
  await change(["outbox"], async (tx) => {
    const outbox = tx.objectStore("outbox");
    for (const entry of await outbox.getAll()) {
      if (entry.user === user && ((entry.sent && entry.assessment === assessment) || entry.id === submission)) await outbox.delete(entry.id);
    }
  });
}

async function note(user, flags) {
  // What the last try to send found: the pages say why saves still wait.
  await update("state", `link ${user}`, (now) => ({ ...now, ...flags }));
  tellPages();
}

async function remember(user, assessment, answer) {
  // Each save this tablet made moved the assessment one version on: remembered, so a waiting
  // "Submit assessment" (made on a page from before them) is carried over them, and over nothing
  // else: anyone else's change in between still makes it a conflict.
  await update("state", `chain ${user} ${assessment}`, (chain) => ({ ...chain, [String(answer.previous_version)]: String(answer.version) }));
}

export async function carriedForward(user, assessment, fields) {
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
  const url = answer.url || `/assessments/${entry.assessment}`;
  await update("state", `attention ${user}`, (list) => [...(list || []), { title: entry.title, status: answer.status, url }]);
}

export async function status(user, path = null) {
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

export async function entryFor(user, assessment, section) {
  const entry = (await all("outbox")).find((e) => e.user === user && e.assessment === assessment && e.section === section);
  if (!entry) return null;
  const payload = await unseal(user, entry.sealed);
  return payload && { ...payload, sent: Boolean(entry.sent) };
}

export async function savesFor(user, assessment) {
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

export async function tellPages() {
  for (const client of await self.clients.matchAll()) client.postMessage({ type: "outbox-changed" });
}
