// The keys and what they seal: only the user whose key sealed a record opens it, and only while
// their store is unlocked in this run of the browser.
import { describe, expect, it } from "vitest";
import { modules, signIn } from "./tablet.js";

const secret = (text) => crypto.subtle.importKey("raw", new TextEncoder().encode(text), "PBKDF2", false, ["deriveKey"]);
const dataKey = () => crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);

describe("sealing", () => {
  it("opens what it sealed, as it was, and the sealed record does not show it", async () => {
    const { crypto: keys } = await modules();
    const key = await dataKey();
    const answers = { fields: [["kitchen_grade", "4"], ["note", "Zephyrine's cot by the radiator"]] };
    const sealed = await keys.sealWith(key, answers);
    expect(new TextDecoder().decode(sealed.data)).not.toContain("Zephyrine");
    expect(await keys.unsealWith(key, sealed)).toEqual(answers);
  });

  it("a fresh nonce each time: the same answers sealed twice differ", async () => {
    const { crypto: keys } = await modules();
    const key = await dataKey();
    const [one, two] = [await keys.sealWith(key, "same"), await keys.sealWith(key, "same")];
    expect(one.iv).not.toEqual(two.iv);
    expect(new Uint8Array(one.data)).not.toEqual(new Uint8Array(two.data));
  });

  it("another key cannot open it", async () => {
    const { crypto: keys } = await modules();
    const sealed = await keys.sealWith(await dataKey(), { fields: [] });
    await expect(keys.unsealWith(await dataKey(), sealed)).rejects.toThrow();
  });
});

describe("each user's key on the tablet", () => {
  it("seals for its user, and another user signed in cannot open it", async () => {
    const sw = await modules();
    await signIn(sw, "u1");
    const sealed = await sw.crypto.seal("u1", { fields: [["note", "u1's"]] });
    expect(await sw.crypto.unseal("u1", sealed)).toEqual({ fields: [["note", "u1's"]] });
    await signIn(sw, "u2");
    expect(await sw.crypto.unlocked("u1")).toBeNull(); // someone else signing in locks u1
    expect(await sw.crypto.unseal("u1", sealed)).toBeNull();
    expect(await sw.crypto.unseal("u2", sealed)).toBeNull();
    await expect(sw.crypto.seal("u1", "anything")).rejects.toThrow("locked");
  });

  it("is locked once the browser was closed (its session cookie gone), and the unlocked key deleted", async () => {
    const sw = await modules();
    await signIn(sw, "u1");
    expect(await sw.crypto.unlocked("u1")).not.toBeNull();
    cookieStore.clear();
    expect(await sw.crypto.unlocked("u1")).toBeNull();
    expect(await sw.store.get("keys", "unlocked u1")).toBeUndefined();
    await expect(sw.crypto.seal("u1", "anything")).rejects.toThrow("locked");
  });

  it("wrapped with a password: the right one gives back the key that opens what it sealed, a wrong one nothing", async () => {
    const { crypto: keys } = await modules();
    const key = await dataKey();
    const sealed = await keys.sealWith(key, "visit notes");
    const record = await keys.wrapWithSecret(key, await secret("correct horse"));
    expect(Object.keys(record).sort()).toEqual(["salt", "wrapped"]);
    const opened = await keys.unwrapWithSecret(await secret("correct horse"), record);
    expect(opened.extractable).toBe(false);
    expect(await keys.unsealWith(opened, sealed)).toBe("visit notes");
    await expect(keys.unwrapWithSecret(await secret("wrong horse"), record)).rejects.toThrow();
  });

  it("wrapped with the session's key (base64url from /api/session): unwrapped again", async () => {
    const { crypto: keys } = await modules();
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const text = Buffer.from(raw).toString("base64url");
    const key = await dataKey();
    const escrow = await keys.wrap(key, await keys.serverWrapper(text));
    const back = await keys.unwrap(await keys.serverWrapper(text), escrow);
    expect(await keys.unsealWith(back, await keys.sealWith(key, 42))).toBe(42);
  });
});

describe("unlocking with no signal", () => {
  it("the right password unlocks; five wrong tries erase the password and PIN copies together", async () => {
    const sw = await modules();
    const key = await dataKey();
    await sw.store.put("state", "u1", "user");
    await sw.store.put("keys", await sw.crypto.wrapWithSecret(key, await secret("right")), "wrapped u1");
    await sw.store.put("keys", await sw.crypto.wrapWithSecret(key, await secret("1234")), "pin u1");
    expect(await sw.session.tryUnlock(await secret("right"))).toEqual({ unlocked: true });
    expect(await sw.crypto.unlocked("u1")).not.toBeNull();
    const wrong = await secret("wrong");
    const answers = [];
    for (let i = 0; i < 5; i += 1) answers.push(await sw.session.tryUnlock(wrong, i % 2 ? "pin" : "password"));
    expect(answers).toEqual([{ left: 4 }, { left: 3 }, { left: 2 }, { left: 1 }, { erased: true }]);
    expect(await sw.store.allKeys("keys")).toEqual(["unlocked u1"]);
    expect(await sw.store.get("state", "tries u1")).toBeUndefined();
    expect(await sw.session.tryUnlock(await secret("right"))).toEqual({ erased: true });
  });
});

describe("signing out", () => {
  it("leaves nothing of the user's but a PIN's copies, and nobody's page; other users' records stay", async () => {
    const sw = await modules();
    await signIn(sw, "u1");
    await sw.store.put("pages", { user: "u1" }, "u1 /caseload");
    await sw.store.put("pages", { user: "u2" }, "u2 /caseload");
    await sw.store.put("pages", { user: null }, "sign-in");
    await sw.store.put("state", 1, "caseload u1");
    await sw.store.put("state", 1, "caseload u2");
    await sw.store.put("outbox", { user: "u1" });
    await sw.store.put("outbox", { user: "u2" });
    for (const key of ["wrapped u1", "pin u1", "escrow u1", "wrapped u2"]) await sw.store.put("keys", { salt: 1 }, key);
    await sw.session.signOut("u1", false);
    expect((await sw.store.allKeys("pages")).sort()).toEqual(["sign-in", "u2 /caseload"]);
    expect((await sw.store.allKeys("state")).sort()).toEqual(["caseload u2", "user"]);
    expect(await sw.store.get("state", "user")).toBeNull();
    expect((await sw.store.all("outbox")).map((e) => e.user)).toEqual(["u2"]);
    expect((await sw.store.allKeys("keys")).sort()).toEqual(["escrow u1", "pin u1", "wrapped u2"]);
  });

  it("keeping what waits (a sign-out page without its script): the outbox and keys stay, locked", async () => {
    const sw = await modules();
    await signIn(sw, "u1");
    await sw.store.put("outbox", { user: "u1" });
    await sw.store.put("keys", { salt: 1 }, "wrapped u1");
    await sw.session.signOut("u1", true);
    expect(await sw.store.all("outbox")).toEqual([{ id: 1, user: "u1" }]);
    expect(await sw.store.allKeys("keys")).toEqual(["wrapped u1"]);
    expect(await sw.crypto.unlocked("u1")).toBeNull();
  });
});
