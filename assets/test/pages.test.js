// Stored pages: sealed for their user, never replaced by an older copy, asked for again with their
// validator, and gone with their assessment once its submission was sent.
import { describe, expect, it } from "vitest";
import { modules, signIn } from "./tablet.js";

const page = (html, etag = '"v1"') => new Response(html, { headers: { "Content-Type": "text/html", ETag: etag, "Content-Security-Policy": "default-src 'self'" } });
const TASKS = "/assessments/7";
const VISIT = "/assessments/7/sections/visit";

describe("a stored page", () => {
  it("is kept sealed with its validator, and opens for its user only", async () => {
    const sw = await modules();
    await signIn(sw, "u1");
    await sw.pages.keepPage("u1", "7", TASKS, page("<h1>Zephyrine's visit</h1>"), 1000);
    const kept = await sw.store.get("pages", `u1 ${TASKS}`);
    expect(kept).toMatchObject({ user: "u1", assessment: "7", path: TASKS, etag: '"v1"', asked: 1000, csp: "default-src 'self'" });
    expect(JSON.stringify(kept)).not.toContain("Zephyrine");
    expect(await (await sw.pages.fromTablet("u1", TASKS)).text()).toBe("<h1>Zephyrine's visit</h1>");
    expect(sw.pages.conditional(kept, "u1")).toEqual({ "If-None-Match": '"v1"' });
    expect(sw.pages.conditional(kept, "u2")).toEqual({});
    expect(await sw.pages.fromTablet("u2", TASKS)).toBeNull();
  });

  it("is never replaced by a copy asked for before it", async () => {
    const sw = await modules();
    await signIn(sw, "u1");
    await sw.pages.keepPage("u1", "7", TASKS, page("newer", '"v2"'), 2000);
    await sw.pages.keepPage("u1", "7", TASKS, page("older", '"v1"'), 1000);
    expect(await (await sw.pages.fromTablet("u1", TASKS)).text()).toBe("newer");
  });

  it("is not kept while its user's store is locked", async () => {
    const sw = await modules();
    await signIn(sw, "u1");
    cookieStore.clear();
    await expect(sw.pages.keepPage("u1", "7", TASKS, page("x"), 1000)).rejects.toThrow("locked");
    expect(await sw.store.allKeys("pages")).toEqual([]);
  });

  it("confirmed by a 304: kept as it is, as of when it was asked for, unless replaced meanwhile", async () => {
    const sw = await modules();
    await signIn(sw, "u1");
    await sw.pages.keepPage("u1", "7", TASKS, page("copy"), 1000);
    await sw.pages.confirmed("u1", TASKS, '"v1"', 5000);
    expect((await sw.store.get("pages", `u1 ${TASKS}`)).asked).toBe(5000);
    await sw.pages.confirmed("u1", TASKS, '"v0"', 9000); // another copy's validator
    expect((await sw.store.get("pages", `u1 ${TASKS}`)).asked).toBe(5000);
  });

  it("of a section, asked for after its save was sent, shows that save: the sent entry goes", async () => {
    const sw = await modules();
    await signIn(sw, "u1");
    await sw.store.put("outbox", { user: "u1", kind: "save", assessment: "7", section: "visit", sent: true, sentAt: 1500 });
    await sw.store.put("outbox", { user: "u1", kind: "save", assessment: "7", section: "kitchen", sent: true, sentAt: 1500 });
    await sw.pages.keepPage("u1", "7", VISIT, page("before the save"), 1000);
    expect(await sw.store.all("outbox")).toHaveLength(2);
    await sw.pages.keepPage("u1", "7", VISIT, page("after the save"), 2000);
    expect((await sw.store.all("outbox")).map((e) => e.section)).toEqual(["kitchen"]);
  });
});

describe("forgetting an assessment (its submission sent)", () => {
  it("removes its user's pages and notes of it, and nothing else", async () => {
    const sw = await modules();
    await signIn(sw, "u1");
    await sw.pages.keepPage("u1", "7", TASKS, page("7"), 1000);
    await sw.pages.keepPage("u1", "7", VISIT, page("7 visit"), 1000);
    await sw.pages.keepPage("u1", "8", "/assessments/8", page("8"), 1000);
    await sw.store.put("pages", { user: "u2", assessment: "7", path: TASKS }, `u2 ${TASKS}`);
    for (const what of ["stored", "chain", "about"]) await sw.store.put("state", {}, `${what} u1 7`);
    await sw.store.put("state", {}, "stored u1 8");
    await sw.pages.forgetAssessment("u1", "7");
    expect((await sw.store.allKeys("pages")).sort()).toEqual(["u1 /assessments/8", `u2 ${TASKS}`]);
    expect((await sw.store.allKeys("state")).filter((k) => k !== "user").sort()).toEqual(["forgotten u1 7", "stored u1 8"]);
    // a copy asked for before it was forgotten, stored after, is never shown
    await sw.store.put("pages", { user: "u1", assessment: "7", path: TASKS, asked: 0, sealed: await sw.crypto.seal("u1", "old") }, `u1 ${TASKS}`);
    expect(await sw.pages.fromTablet("u1", TASKS)).toBeNull();
    expect(await sw.store.get("pages", `u1 ${TASKS}`)).toBeUndefined();
  });
});
