// "On this tablet": what the tablet holds for the practitioner and what waits to be sent, filled
// from the tablet's own store (the server's page is an empty frame, stored so it opens offline).

const TIME = new Intl.DateTimeFormat("en-GB", { hour: "numeric", minute: "2-digit", hour12: true });
const DAY = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric" });

export function when(ms) {
  // GOV.UK style: "2:30pm on 7 December 2026".
  const date = new Date(ms);
  return `${TIME.format(date).replace(" ", "").toLowerCase()} on ${DAY.format(date)}`;
}

const saves = (n) => (n === 1 ? "1 save is" : `${n} saves are`);

export function onThisTablet(ask) {
  const root = document.querySelector("[data-heat-tablet]");
  if (!root) return null;
  const part = (name) => root.querySelector(`[data-heat-tablet-${name}]`);
  const show = (state) => {
    if (!state || state.error) return;
    document.querySelector("[data-heat-tablet-loading]").hidden = true;
    root.hidden = false;
    part("waiting").textContent = state.waiting ? `${saves(state.waiting)} waiting to be sent.` : "Nothing is waiting to be sent.";
    part("last-sent").textContent = state.lastSent
      ? `Last sent to HEAT at ${when(state.lastSent)}.`
      : "Nothing has been sent from this tablet yet.";
    const problem = state.waiting && (state.signedOut
      ? "You have been signed out. They will be sent when you sign in again."
      : state.unreachable || !navigator.onLine
        ? "HEAT cannot be reached. They will be sent when you are back online."
        : "");
    part("problem").hidden = !problem;
    part("problem-text").textContent = problem || "";
    const titles = Object.fromEntries((state.visits || []).map((v) => [v.assessment, v.title]));
    const entries = part("entries");
    entries.replaceChildren();
    for (const entry of state.entries) {
      const item = document.createElement("li");
      const visit = titles[entry.assessment] ? ` (${titles[entry.assessment]})` : "";
      item.textContent = `${entry.title}${visit}, saved on this tablet at ${when(entry.at)}`;
      entries.append(item);
    }
    part("no-entries").hidden = state.entries.length > 0;
    const visits = part("visits");
    visits.replaceChildren();
    for (const visit of state.visits || []) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.className = "govuk-link";
      link.href = `/assessments/${visit.assessment}`;
      link.textContent = `Home environment assessment: ${visit.title || "visit"}`;
      const about = document.createElement("p");
      about.className = "govuk-hint govuk-!-margin-bottom-4";
      const lines = [];
      if (visit.started) lines.push(`Started on this tablet at ${when(visit.started)}.`);
      if (visit.changed) lines.push(`Last changed on this tablet at ${when(visit.changed)}.`);
      if (!lines.length) lines.push("Stored on this tablet, no changes made here.");
      if (visit.waiting) lines.push(`${saves(visit.waiting)} waiting to be sent.`);
      about.textContent = lines.join(" ");
      item.append(link, about);
      visits.append(item);
    }
    part("no-visits").hidden = (state.visits || []).length > 0;
    part("caseload").hidden = !state.caseload;
    part("pin-set").hidden = !state.pin;
    part("pin-none").hidden = Boolean(state.pin);
  };
  const button = root.querySelector("[data-heat-send-now]");
  button.addEventListener("click", async () => {
    button.disabled = true;
    button.setAttribute("aria-disabled", "true");
    try {
      show(await ask({ type: "drain" }));
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-disabled");
    }
  });
  return show;
}
