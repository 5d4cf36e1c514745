// The outbox: saves made on the tablet are sent in the order they were made, each once, only for
// the practitioner who made them; a change that fails leaves the outbox as it was.
import { describe, expect, it } from "vitest";
import { field, modules, server, signIn } from "./tablet.js";

const save = (assessment, section) => ({ kind: "save", assessment, section, title: section });
const submit = (assessment) => ({ kind: "submit", assessment, section: "submit", title: "Submit assessment" });
const answers = (key, more = []) => [["save_key", key], ["version", "3"], ...more];

async function tablet(user = "u1") {
  const sw = await modules();
  await signIn(sw, user);
  return sw;
}

// A server that stores every save (version 3 -> 4 -> 5...) and scores every submission.
function storing() {
  let version = 3;
  return (path) => (path.endsWith("/submit") ? { status: "submitted" } : { status: "saved", previous_version: version, version: ++version, section_version: 1 });
}

describe("enqueue", () => {
  it("seals each save for its user: the record does not show the answers", async () => {
    const sw = await tablet();
    await sw.outbox.enqueue("u1", save("7", "visit"), answers("k1", [["note", "Zephyrine"]]));
    const [entry] = await sw.store.all("outbox");
    expect(entry).toMatchObject({ kind: "save", assessment: "7", section: "visit", user: "u1" });
    expect(JSON.stringify(entry)).not.toContain("Zephyrine");
    expect(await sw.outbox.entryFor("u1", "7", "visit")).toEqual({ fields: answers("k1", [["note", "Zephyrine"]]), sent: false });
  });

  it("a section saved twice before it is sent waits as one save, the newer answers on the older's version", async () => {
    const sw = await tablet();
    await sw.outbox.enqueue("u1", save("7", "kitchen"), [["version", "3"], ["grade", "2"]]);
    await sw.outbox.enqueue("u1", save("7", "kitchen"), [["version", "5"], ["grade", "4"]]);
    expect(await sw.store.all("outbox")).toHaveLength(1);
    const { fields } = await sw.outbox.entryFor("u1", "7", "kitchen");
    expect([field(fields, "grade"), field(fields, "version")]).toEqual(["4", "3"]);
  });

  it("a failed write leaves the outbox as it was: the waiting save is not lost with the new one", async () => {
    const sw = await tablet();
    await sw.outbox.enqueue("u1", save("7", "kitchen"), [["version", "3"], ["grade", "2"]]);
    const unstorable = { ...save("7", "kitchen"), title: () => "a function cannot be stored" };
    await expect(sw.outbox.enqueue("u1", unstorable, [["grade", "4"]])).rejects.toThrow();
    const entries = await sw.store.all("outbox");
    expect(entries).toHaveLength(1);
    expect(field((await sw.outbox.entryFor("u1", "7", "kitchen")).fields, "grade")).toBe("2");
  });

  it("never while locked: nothing is kept", async () => {
    const sw = await tablet();
    cookieStore.clear(); // the browser was closed
    await expect(sw.outbox.enqueue("u1", save("7", "visit"), answers("k1"))).rejects.toThrow("locked");
    expect(await sw.store.all("outbox")).toEqual([]);
  });
});

describe("sending", () => {
  it("sends the saves in the order they were made, the submission last, each once", async () => {
    const sw = await tablet();
    const sent = server({ user: "u1", save: storing() });
    await sw.outbox.enqueue("u1", save("7", "visit"), answers("k1"));
    await sw.outbox.enqueue("u1", save("7", "kitchen"), answers("k2"));
    await sw.outbox.enqueue("u1", save("7", "bathroom"), answers("k3"));
    await sw.outbox.enqueue("u1", submit("7"), answers("k4"));
    await sw.outbox.drain();
    await sw.outbox.drain();
    expect(sent.map((s) => s.path)).toEqual([
      "/api/assessments/7/sections/visit",
      "/api/assessments/7/sections/kitchen",
      "/api/assessments/7/sections/bathroom",
      "/api/assessments/7/submit",
    ]);
    expect(sent.map((s) => field(s.fields, "save_key"))).toEqual(["k1", "k2", "k3", "k4"]);
    expect(await sw.store.all("outbox")).toEqual([]); // submitted: its saves go with it
  });

  it("a save made again while a round is under way is sent once, as the newer answers", async () => {
    const sw = await tablet();
    const sent = server({ user: "u1", save: storing() });
    await sw.outbox.enqueue("u1", save("7", "visit"), answers("k1", [["grade", "2"]]));
    await sw.outbox.enqueue("u1", save("7", "visit"), answers("k1", [["grade", "3"]])); // the same save, replayed
    await Promise.all([sw.outbox.drain(), sw.outbox.drain(), sw.outbox.drain()]);
    expect(sent).toHaveLength(1);
    expect(field(sent[0].fields, "grade")).toBe("3");
  });

  it("a save the server stored is kept as sent (for the pages) and never sent again", async () => {
    const sw = await tablet();
    const sent = server({ user: "u1", save: storing() });
    await sw.outbox.enqueue("u1", save("7", "visit"), answers("k1"));
    await sw.outbox.drain();
    await sw.outbox.drain();
    expect(sent).toHaveLength(1);
    const [entry] = await sw.store.all("outbox");
    expect(entry).toMatchObject({ sent: true, sectionVersion: 1 });
    expect((await sw.store.get("state", "sent u1 7")).sections.visit).toBe(entry.sentAt);
    expect((await sw.outbox.status("u1")).waiting).toBe(0);
  });

  it("carries a waiting submission over the versions this tablet's own saves made", async () => {
    const sw = await tablet();
    const sent = server({ user: "u1", save: storing() });
    await sw.outbox.enqueue("u1", save("7", "visit"), [["version", "3"]]);
    await sw.outbox.enqueue("u1", save("7", "kitchen"), [["version", "3"]]);
    await sw.outbox.enqueue("u1", submit("7"), [["version", "3"]]);
    await sw.outbox.drain();
    expect(sent.map((s) => field(s.fields, "version"))).toEqual(["3", "3", "5"]);
  });

  it("with no signal, everything waits, in order, and says why", async () => {
    const sw = await tablet();
    await sw.outbox.enqueue("u1", save("7", "visit"), answers("k1"));
    await sw.outbox.enqueue("u1", save("7", "kitchen"), answers("k2"));
    await sw.outbox.drain();
    const status = await sw.outbox.status("u1");
    expect(status).toMatchObject({ waiting: 2, unreachable: true });
    expect(status.entries.map((e) => e.section)).toEqual(["visit", "kitchen"]);
  });

  it("a save the server refuses (a conflict) is taken off and named for attention; the rest still go", async () => {
    const sw = await tablet();
    let calls = 0;
    const stored = storing();
    const sent = server({ user: "u1", save: (path) => (++calls === 2 ? { status: "conflict", url: "/assessments/7/sections/kitchen" } : stored(path)) });
    await sw.outbox.enqueue("u1", save("7", "visit"), answers("k1"));
    await sw.outbox.enqueue("u1", save("7", "kitchen"), answers("k2"));
    await sw.outbox.enqueue("u1", save("7", "bathroom"), answers("k3"));
    await sw.outbox.drain();
    expect(sent.map((s) => field(s.fields, "save_key"))).toEqual(["k1", "k2", "k3"]);
    const status = await sw.outbox.status("u1");
    expect(status.attention).toEqual([{ title: "kitchen", status: "conflict", url: "/assessments/7/sections/kitchen" }]);
    expect((await sw.store.all("outbox")).map((e) => [e.section, e.sent])).toEqual([
      ["visit", true],
      ["bathroom", true],
    ]);
    expect((await sw.outbox.status("u1")).attention).toEqual([]); // shown once
  });

  it("keeps everything when the server is down (5xx), to send later in the same order", async () => {
    const sw = await tablet();
    const sent = server({ user: "u1", status: 503, save: () => ({ status: "error" }) });
    await sw.outbox.enqueue("u1", save("7", "visit"), answers("k1"));
    await sw.outbox.enqueue("u1", save("7", "kitchen"), answers("k2"));
    await sw.outbox.drain();
    expect(sent).toHaveLength(1);
    expect((await sw.outbox.status("u1")).entries.map((e) => e.section)).toEqual(["visit", "kitchen"]);
  });
});

describe("two practitioners on one tablet", () => {
  it("never send, show or open each other's saves", async () => {
    const sw = await modules();
    await signIn(sw, "u1");
    await sw.outbox.enqueue("u1", save("7", "visit"), answers("u1-visit"));
    await signIn(sw, "u2");
    await sw.outbox.enqueue("u2", save("8", "visit"), answers("u2-visit"));
    await sw.outbox.enqueue("u2", save("7", "visit"), answers("u2-on-7"));
    expect(await sw.store.all("outbox")).toHaveLength(3); // the same section by two users: two saves
    const sent = server({ user: "u2", save: storing() });
    await sw.outbox.drain();
    expect(sent.map((s) => field(s.fields, "save_key"))).toEqual(["u2-visit", "u2-on-7"]);
    expect(await sw.outbox.entryFor("u2", "7", "visit")).toMatchObject({ fields: answers("u2-on-7") });
    expect(await sw.outbox.savesFor("u2", "7")).toHaveLength(1);
    const status = await sw.outbox.status("u2");
    expect(status.waiting).toBe(0);
    // u1's save waits, sealed with u1's key, for u1 to sign in again
    const [waiting] = (await sw.store.all("outbox")).filter((e) => !e.sent);
    expect(waiting.user).toBe("u1");
    expect(await sw.crypto.unseal("u2", waiting.sealed)).toBeNull();
    expect((await sw.outbox.status("u1")).entries.map((e) => e.section)).toEqual(["visit"]);
  });

  it("sends nothing when the server says someone else is signed in, and follows the server", async () => {
    const sw = await tablet("u1");
    await sw.outbox.enqueue("u1", save("7", "visit"), answers("k1"));
    const sent = server({ user: "u2", save: storing() });
    await sw.outbox.drain();
    expect(sent).toEqual([]);
    expect(await sw.store.get("state", "user")).toBe("u2");
    expect(await sw.store.all("outbox")).toHaveLength(1);
  });
});

describe("a draft started on this tablet", () => {
  it("becomes the server's assessment: its waiting saves, pages and notes move to the new id together", async () => {
    const sw = await tablet();
    await sw.store.put("state", ["/assessments/new-abc", "/assessments/new-abc/sections/visit"], "stored u1 new-abc");
    for (const path of ["/assessments/new-abc", "/assessments/new-abc/sections/visit"]) {
      const html = `<a href="${path}/check" data-heat-offline-assessment="new-abc">`;
      await sw.store.put("pages", { user: "u1", assessment: "new-abc", path, sealed: await sw.crypto.seal("u1", html) }, `u1 ${path}`);
    }
    await sw.outbox.enqueue("u1", { kind: "start", assessment: "new-abc", child: "3", section: "start", title: "Start" }, [["start_key", "abc"]]);
    await sw.outbox.enqueue("u1", save("new-abc", "visit"), answers("k1"));
    const stored = storing();
    const sent = server({ user: "u1", save: (path) => (path.startsWith("/api/children/") ? { status: "started", assessment: 41 } : stored(path)) });
    await sw.outbox.drain();
    expect(sent.map((s) => s.path)).toEqual(["/api/children/3/assessments", "/api/assessments/41/sections/visit"]);
    expect((await sw.store.allKeys("pages")).sort()).toEqual(["u1 /assessments/41", "u1 /assessments/41/sections/visit"]);
    const page = await sw.store.get("pages", "u1 /assessments/41");
    expect(await sw.crypto.unseal("u1", page.sealed)).toBe('<a href="/assessments/41/check" data-heat-offline-assessment="41">');
    expect(await sw.store.get("state", "started u1 new-abc")).toBe(41);
    expect(await sw.store.get("state", "stored u1 new-abc")).toBeUndefined();
    expect((await sw.store.all("outbox")).map((e) => [e.assessment, e.sent])).toEqual([[41, true]]);
  });
});
