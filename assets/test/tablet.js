// What the tests share: the service worker's modules, loaded fresh, and a tablet with users on it.
import { vi } from "vitest";

export async function modules() {
  return {
    store: await import("../sw/store.js"),
    crypto: await import("../sw/crypto.js"),
    session: await import("../sw/session.js"),
    pages: await import("../sw/pages.js"),
    outbox: await import("../sw/outbox.js"),
  };
}

export async function signIn(sw, user) {
  // `user` signed in, with a data key of their own (as after the sign-in page), unlocked.
  const key = await crypto.subtle.generateKey(sw.crypto.AES, false, ["encrypt", "decrypt"]);
  await sw.crypto.setUnlocked(user, key);
  await sw.store.put("state", user, "user");
  return key;
}

export function server(answer) {
  // A server answering /api/session for `answer.user` and each save with `answer.save(path, body)`;
  // the saves it was sent, in order, in `sent`.
  const sent = [];
  const fetch = vi.fn(async (path, init = {}) => {
    if (path === "/api/session") return Response.json({ user: answer.user, csrf: "token", key: "" });
    const body = JSON.parse(init.body);
    sent.push({ path, fields: body.fields });
    return Response.json(answer.save(path, body), { status: answer.status || 200 });
  });
  vi.stubGlobal("fetch", fetch);
  return sent;
}

export const field = (fields, name) => (fields.find(([key]) => key === name) || [])[1];
