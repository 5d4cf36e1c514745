// The tablet's database: the same name, stores and keys as every earlier version, and a change
// that fails leaves it as it was.
import { describe, expect, it } from "vitest";
import { modules } from "./tablet.js";

describe("the database", () => {
  it("is heat-offline, version 1, with the stores tablets already have", async () => {
    const { store } = await modules();
    const db = await store.openDatabase();
    expect([db.name, db.version]).toEqual(["heat-offline", 1]);
    expect([...db.objectStoreNames].sort()).toEqual(["keys", "outbox", "pages", "state"]);
    const outbox = db.transaction("outbox").objectStore("outbox");
    expect([outbox.keyPath, outbox.autoIncrement]).toEqual(["id", true]);
    for (const name of ["keys", "pages", "state"]) expect(db.transaction(name).objectStore(name).keyPath).toBeNull();
  });

  it("opens a database an earlier version made, and keeps what it holds", async () => {
    // As the service worker of before idb made it (a plain IndexedDB request).
    await new Promise((resolve, reject) => {
      const request = indexedDB.open("heat-offline", 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        for (const name of ["keys", "state", "pages"]) db.createObjectStore(name);
        db.createObjectStore("outbox", { keyPath: "id", autoIncrement: true }).put({ user: "u1", kind: "save" });
        request.transaction.objectStore("state").put("u1", "user");
      };
      request.onsuccess = () => resolve(request.result.close());
      request.onerror = () => reject(request.error);
    });
    const { store } = await modules();
    expect(await store.get("state", "user")).toBe("u1");
    expect(await store.all("outbox")).toEqual([{ id: 1, user: "u1", kind: "save" }]);
  });

  it("puts, gets, lists and removes records by key, and outbox entries by their own id", async () => {
    const { store } = await modules();
    await store.put("state", { at: 1 }, "link u1");
    await store.put("outbox", { user: "u1" });
    await store.put("outbox", { user: "u2" });
    expect(await store.get("state", "link u1")).toEqual({ at: 1 });
    expect((await store.all("outbox")).map((e) => [e.id, e.user])).toEqual([
      [1, "u1"],
      [2, "u2"],
    ]);
    await store.remove("outbox", 1);
    expect(await store.allKeys("outbox")).toEqual([2]);
  });
});

describe("a change", () => {
  it("keeps everything it wrote, across stores, once it is done", async () => {
    const { store } = await modules();
    await store.change(["state", "pages"], async (tx) => {
      await tx.objectStore("state").put("a", "one");
      await tx.objectStore("pages").put("b", "two");
    });
    expect([await store.get("state", "one"), await store.get("pages", "two")]).toEqual(["a", "b"]);
  });

  it("keeps nothing it wrote when it throws part way", async () => {
    const { store } = await modules();
    await store.put("state", "before", "kept");
    const failing = store.change(["state"], async (tx) => {
      await tx.objectStore("state").delete("kept");
      await tx.objectStore("state").put("new", "added");
      throw new Error("part way");
    });
    await expect(failing).rejects.toThrow("part way");
    expect(await store.allKeys("state")).toEqual(["kept"]);
    expect(await store.get("state", "kept")).toBe("before");
  });

  it("keeps nothing it wrote when a write of it is refused", async () => {
    const { store } = await modules();
    await store.put("outbox", { user: "u1", title: "waiting" });
    const failing = store.change(["outbox"], async (tx) => {
      await tx.objectStore("outbox").delete(1);
      await tx.objectStore("outbox").put({ user: "u1", title: () => "a function cannot be stored" });
    });
    await expect(failing).rejects.toThrow();
    expect(await store.all("outbox")).toEqual([{ id: 1, user: "u1", title: "waiting" }]);
  });

  it("reads and writes one record in one go (update)", async () => {
    const { store } = await modules();
    expect(await store.update("state", "tries u1", (now) => (now || 0) + 1)).toBe(1);
    expect(await store.update("state", "tries u1", (now) => (now || 0) + 1)).toBe(2);
    expect(await store.get("state", "tries u1")).toBe(2);
  });
});
