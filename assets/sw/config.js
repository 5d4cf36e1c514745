/* What the service worker's modules share: the build's static files, its limits and the shape of
   HEAT's addresses. __ASSETS__ and __BUILD__ are filled in by assets/build.mjs (esbuild's define). */

export const ASSETS = __ASSETS__;
export const STATIC_CACHE = `heat-static-${__BUILD__}`;
export const TIMEOUT_MS = 8000;
// Storing the caseload happens in the background while the practitioner has a signal: nobody waits
// on it, and a household's new-visit kit (every page of a visit for all its children) can take the
// server several seconds to draw, so one slow answer must not leave the tablet not ready.
export const STORING_MS = 30000;
// A copy the server confirmed (or sent) this recently is not asked for again when it is opened.
export const FRESH_MS = 2 * 60 * 1000;
export const UNREACHABLE = new Set([502, 503, 504]);
// An assessment is its id on the server, or "new-<start key>" while it was started on this tablet
// and the server has not been told yet.
export const SECTION = /^\/assessments\/(\d+|new-[\w-]+)\/sections\/([\w-]+)$/;
export const SUBMIT = /^\/assessments\/(\d+|new-[\w-]+)\/submit$/;
export const START = /^\/children\/(\d+)\/assessments\/new$/;
export const STARTED_HERE = /^\/assessments\/(new-[\w-]+)(.*)$/;
export const CHECK = /^\/assessments\/(\d+|new-[\w-]+)\/check$/;
export const DRAFT = "__DRAFT__";
export const TABLET_PAGE = "/on-this-tablet";

export async function timed(input, init = {}, wait = TIMEOUT_MS) {
  // The network, with a limit.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), wait);
  try {
    return await fetch(input, { ...init, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

export async function serverSession() {
  // Who the server says is signed in, with a fresh CSRF token; null when nobody is. Throws when
  // the server cannot be reached.
  const response = await timed("/api/session", { headers: { "X-Heat-Background": "1" } });
  return response.ok ? response.json() : null;
}
