// HEAT in the browser: GOV.UK Frontend, then offline working and the sign-out warning. Everything
// here is progressive enhancement: every page and form works without it.
import { ErrorSummary, initAll } from "./govuk-frontend.min.js";
import { capturePassword, pinPage, unlockPage } from "./keys.js";
import { onThisTablet } from "./on_this_tablet.js";
import { checkAnswers } from "./check_answers.js";
import { sectionErrors } from "./section_errors.js";

initAll();

const body = document.body;
const user = body.dataset.heatUser;

/* --- a fresh key for each save made from this page (stored pages are used more than once) --- */

function freshKeys() {
  for (const input of document.querySelectorAll('input[name="save_key"], input[name="submission_key"], input[name="start_key"]')) {
    input.value = crypto.randomUUID().replaceAll("-", "");
  }
}

/* --- talking to the service worker ----------------------------------------------------------- */

async function ask(message) {
  const registration = await navigator.serviceWorker.ready;
  const worker = navigator.serviceWorker.controller || registration.active;
  if (!worker) return {};
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(event.data || {});
    worker.postMessage({ ...message, user }, [channel.port2]);
  });
}

function banner(title, text, success) {
  const main = document.querySelector("main");
  if (!main) return;
  const box = document.createElement("div");
  box.className = `govuk-notification-banner${success ? " govuk-notification-banner--success" : ""}`;
  box.setAttribute("role", success ? "alert" : "region");
  box.setAttribute("aria-labelledby", "heat-offline-banner-title");
  box.dataset.heatOfflineBanner = "";
  const header = document.createElement("div");
  header.className = "govuk-notification-banner__header";
  const heading = document.createElement("h2");
  heading.className = "govuk-notification-banner__title";
  heading.id = "heat-offline-banner-title";
  heading.textContent = title;
  header.append(heading);
  const content = document.createElement("div");
  content.className = "govuk-notification-banner__content";
  for (const line of [].concat(text)) {
    const p = document.createElement("p");
    p.className = "govuk-notification-banner__heading";
    if (line.href) {
      const link = document.createElement("a");
      link.className = "govuk-notification-banner__link";
      link.href = line.href;
      link.textContent = line.text;
      p.append(link);
    } else {
      p.textContent = line;
    }
    content.append(p);
  }
  box.append(header, content);
  main.prepend(box);
}

function showWaiting(state) {
  const count = document.querySelector("[data-heat-waiting]");
  if (!count) return;
  count.hidden = !state.waiting;
  count.textContent = state.waiting === 1 ? "1 save waiting to be sent" : `${state.waiting} saves waiting to be sent`;
}

const ATTENTION = {
  invalid: "could not be saved: open it to see what to change",
  conflict: "was saved by someone else meanwhile: open it to choose which answers to keep",
  not_ready: "could not be submitted: some sections are not complete",
  error: "could not be sent: open it to check it",
};

function showAttention(state) {
  if (!state.attention || !state.attention.length) return;
  banner(
    "Important",
    state.attention.map((a) => ({ text: `${a.title} ${ATTENTION[a.status] || ATTENTION.error}`, href: a.url })),
    false,
  );
}

/* --- the task list: store the assessment, and say what waits on the tablet ------------------ */

async function taskList(state) {
  const list = document.querySelector("[data-heat-offline-assessment]");
  if (!list) return;
  const assessment = list.dataset.heatOfflineAssessment;
  const mine = state.entries.filter((e) => e.assessment === assessment);
  for (const entry of mine) {
    if (entry.kind === "submit") {
      const note = document.querySelector("[data-heat-submitted-here]");
      if (note) note.hidden = false;
      continue;
    }
    const link = document.querySelector(`a.govuk-task-list__link[href$="/sections/${entry.section}"]`);
    const status = link && link.closest(".govuk-task-list__item").querySelector(".govuk-task-list__status");
    if (status) {
      status.replaceChildren();
      const tag = document.createElement("strong");
      tag.className = "govuk-tag govuk-tag--yellow";
      tag.textContent = "Saved on this tablet";
      status.append(tag);
    }
  }
  const ready = document.querySelector("[data-heat-ready]");
  if (ready && (state.stored || []).includes(assessment)) ready.hidden = false; // stored on an earlier visit
  if (!navigator.onLine || assessment.startsWith("new-")) return; // started here: the server has no pages yet
  const paths = [location.pathname];
  for (const link of document.querySelectorAll("a.govuk-task-list__link, a[data-heat-check-answers]")) {
    paths.push(new URL(link.href).pathname);
  }
  const caption = document.querySelector(".govuk-caption-l");
  const answer = await ask({ type: "store", assessment, paths, title: caption ? caption.textContent.trim() : "" });
  if (ready && answer.ready) ready.hidden = false;
}

/* --- the caseload: store each child's pages and a new assessment for each -------------------- */

async function caseload(state) {
  const ready = document.querySelector("[data-heat-caseload-ready]");
  if (!ready) return;
  if (state.locked && !state.pin) {
    // Signed in with no password given to this tablet (single sign-on): nothing is kept until
    // an offline PIN is set.
    document.querySelector("[data-heat-caseload-pin]").hidden = false;
    return;
  }
  if (state.caseload) ready.hidden = false; // stored on an earlier visit
  if (!navigator.onLine) return;
  const children = [...document.querySelectorAll("a[data-heat-offline-child]")].map((link) => link.dataset.heatOfflineChild);
  const paths = [location.pathname + location.search];
  for (const child of children) paths.push(`/children/${child}`, `/children/${child}/assessments/new`);
  const answer = await ask({ type: "store-caseload", paths, children });
  if (answer.ready) ready.hidden = false;
}

/* --- a section: what was saved on the tablet is what the page shows ------------------------- */

async function section() {
  const form = document.querySelector("form[data-heat-section]");
  const match = /^\/assessments\/(\d+|new-[\w-]+)\/sections\/([\w-]+)$/.exec(location.pathname);
  if (!form || !match) return;
  const answer = await ask({ type: "entry", assessment: match[1], section: match[2] });
  if (!answer.entry) return;
  const skip = new Set(["csrf_token", "save_key", "version", "resume", "offline_next", "offline_later", "offline_title"]);
  const names = new Set(answer.entry.fields.map(([name]) => name).filter((name) => !skip.has(name)));
  for (const name of names) {
    const values = answer.entry.fields.filter(([key]) => key === name).map(([, value]) => value);
    // Date parts share one name: the nth value goes to the nth box.
    form.querySelectorAll(`[name="${CSS.escape(name)}"]`).forEach((input, n) => {
      if (input.type === "file") return; // a photo kept here is shown by tablet.js (heat:kept-answers)
      if (input.type === "radio" || input.type === "checkbox") input.checked = values.includes(input.value);
      else input.value = values[n] ?? "";
    });
  }
  // Unchecked boxes and radios are not sent: what was left empty on the tablet is empty here too.
  for (const input of form.querySelectorAll('input[type="checkbox"], input[type="radio"]')) {
    if (!names.has(input.name)) input.checked = false;
  }
  document.dispatchEvent(new CustomEvent("heat:kept-answers", { detail: { assessment: match[1], section: match[2], entry: answer.entry } }));
  if (!answer.entry.sent) {
    banner("Not sent yet", "These answers are saved on this tablet. They will be sent when you are back online.", false);
  }
}

/* --- what the tablet holds, and what became of it ---------------------------------------- */

const here = /^\/assessments\/(\d+|new-[\w-]+)/.exec(location.pathname);
const assessmentHere = here && here[1];
let flash = null; // "saved" or "submitted": what opened this page, answered by the tablet
let serverId = assessmentHere; // the server's id for this assessment, once the tablet knows it
const shown = new Set();

function once(key, show) {
  if (shown.has(key)) return;
  shown.add(key);
  show();
}

// A form sent from this page (a save, "Submit assessment") that nothing stopped: the browser is on
// its way to the next page, and opening this one again now would cancel that navigation (the
// practitioner's submission would seem to vanish back to Check answers). If no page has come in
// 30 seconds, the navigation failed and the page may open again.
let leaving = false;
document.addEventListener("submit", (event) => {
  if (event.defaultPrevented) return;
  leaving = true;
  setTimeout(() => (leaving = false), 30000);
});

let tabletPage = null; // "On this tablet", when this is that page
let checkPage = null; // Check answers showing the tablet's saves: what to do when the outbox changes

function render(state) {
  if (state.error) return;
  if (tabletPage) tabletPage(state);
  showWaiting(state);
  showAttention(state);
  const away = state.unreachable || !navigator.onLine;
  // Started on this tablet: once sent, the assessment has the server's id.
  // While the tablet adopts the server's id its entries move from the one to the other: the
  // page counts both, so a submission still waiting is never taken for one already sent.
  const id = (state.started || {})[assessmentHere] || assessmentHere;
  serverId = id;
  const mine = state.entries.filter((e) => e.assessment === id || e.assessment === assessmentHere);
  if (flash === "saved" && away && mine.length) {
    once("saved", () => banner("Success", "Saved on this tablet. It will be sent when you are back online.", true));
  }
  if (flash === "submitted" && mine.some((e) => e.kind === "submit")) {
    if (away) once("submitted", () => banner("Success", "Submitted on this tablet. It will be sent when you are back online.", true));
  } else if (flash === "submitted" && !(state.attention || []).length) {
    // Sent and scored by the server: the confirmation, as after a submission made online.
    location.assign(`/assessments/${id}/submitted`);
  }
  if (state.signedOut && state.waiting) {
    once("signed-out", () =>
      banner("Important", [
        "You have been signed out. Your saves are kept on this tablet and will be sent when you sign in again.",
        { text: "Sign in again", href: `/sign-in?next=${encodeURIComponent(location.pathname)}` },
      ]),
    );
  }
  const check = document.querySelector("[data-heat-check-waiting]");
  if (check) check.hidden = !mine.some((e) => e.kind === "save");
}

/* --- sending, whenever there is a chance: at once when the browser comes online, and at least
   every 60 seconds while a page is open and something waits ------------------------------------ */

const LONGEST_WAIT = 60000;
let retry = 5000;
let timer = null;
async function drain() {
  clearTimeout(timer);
  const state = await ask({ type: "drain" });
  render(state);
  if (state.waiting) {
    timer = setTimeout(drain, retry);
    retry = Math.min(retry * 2, LONGEST_WAIT);
  } else {
    retry = 5000;
  }
}

/* --- sign-out: never lose what waits, never leave anything behind ---------------------------- */

function signOut() {
  const form = document.querySelector(".heat-header__sign-out-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    if (form.dataset.confirmed) return;
    event.preventDefault();
    const state = await ask({ type: "status" });
    if (!state.waiting) {
      await ask({ type: "sign-out", keep: false });
      form.dataset.confirmed = "1";
      form.requestSubmit();
      return;
    }
    const panel = document.querySelector("[data-heat-sign-out]");
    const list = panel.querySelector("ul");
    list.replaceChildren();
    for (const entry of state.entries) {
      const item = document.createElement("li");
      item.textContent = `${entry.title}, saved on this tablet at ${new Date(entry.at).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" })}`;
      list.append(item);
    }
    panel.querySelector("[data-heat-waiting-count]").textContent =
      state.waiting === 1 ? "1 save has" : `${state.waiting} saves have`;
    panel.hidden = false;
    panel.querySelector("h2").focus();
  });
  const panel = document.querySelector("[data-heat-sign-out]");
  panel.querySelector("[data-heat-keep]").addEventListener("click", async () => {
    await ask({ type: "sign-out", keep: true });
    form.dataset.confirmed = "1";
    form.requestSubmit();
  });
  panel.querySelector("[data-heat-back]").addEventListener("click", () => {
    panel.hidden = true;
    drain();
  });
}

/* --- "You will be signed out soon" (GOV.UK timeout warning) ---------------------------------- */

function timeoutWarning() {
  const dialog = document.querySelector("[data-heat-timeout]");
  const idle = Number(body.dataset.heatIdle || 0);
  if (!dialog || !idle) return;
  const warnAt = Math.max(idle - 120, idle * 0.8) * 1000;
  let warnTimer;
  let endTimer;
  let returnFocus = null;
  const start = () => {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    warnTimer = setTimeout(() => {
      returnFocus = document.activeElement;
      dialog.showModal();
      dialog.querySelector("h2").focus();
    }, warnAt);
    endTimer = setTimeout(timedOut, idle * 1000 + 2000); // just after the server's own limit
  };
  const timedOut = () => {
    // Whatever is typed in a section goes to the server (or the tablet) before the session ends.
    const form = document.querySelector("form[data-heat-section]");
    if (form) {
      form.dataset.heatTimedOut = "1"; // kept as typed, checked by the server when it arrives
      const later = form.querySelector('[name="save_later"]');
      form.requestSubmit(later || undefined);
    } else {
      location.reload();
    }
  };
  dialog.querySelector("[data-heat-stay]").addEventListener("click", async () => {
    const token = document.querySelector('input[name="csrf_token"]');
    try {
      await fetch("/api/session/keep-alive", { method: "POST", headers: { "X-CSRFToken": token ? token.value : "" } });
    } catch (error) {
      /* offline: the tablet keeps what is saved anyway */
    }
    dialog.close();
    if (returnFocus) returnFocus.focus();
    start();
  });
  dialog.addEventListener("cancel", (event) => event.preventDefault());
  start();
}

/* --- add another: rows of people and actions, added and removed on the page ---------------- */

function addAnother() {
  // Without this the buttons post the form and the server adds or removes the row: the same
  // result, but here it also works with no signal.
  const renumber = (list) => {
    const name = list.dataset.heatRows;
    list.querySelectorAll(".heat-row").forEach((row, index) => {
      const pattern = new RegExp(`^${name}-\\d+-`);
      row.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach((element) => {
        for (const attribute of ["name", "id", "for", "aria-describedby"]) {
          const value = element.getAttribute(attribute);
          if (value) element.setAttribute(attribute, value.split(" ").map((part) => part.replace(pattern, `${name}-${index}-`)).join(" "));
        }
      });
      const legend = row.querySelector("legend");
      legend.firstChild.textContent = legend.firstChild.textContent.replace(/\d+/, String(index + 1));
      const remove = row.querySelector(".heat-remove-row");
      if (remove) {
        remove.value = `${name}-${index}`;
        remove.querySelector(".govuk-visually-hidden").textContent = ` ${legend.textContent.trim().toLowerCase()}`;
      }
    });
  };
  document.addEventListener("click", (event) => {
    const button = event.target.closest('form[data-heat-section] button[name="add_row"], form[data-heat-section] button[name="remove_row"]');
    if (!button) return;
    if (button.name === "add_row") {
      const list = document.querySelector(`[data-heat-rows="${button.value}"]`);
      const rows = list.querySelectorAll(".heat-row");
      const copy = rows[rows.length - 1].cloneNode(true);
      copy.querySelectorAll("input:not([type=hidden]), textarea").forEach((input) => {
        if (input.type === "radio" || input.type === "checkbox") input.checked = false;
        else input.value = "";
      });
      copy.querySelectorAll("input[type=hidden]").forEach((input) => (input.value = ""));
      copy.querySelectorAll("select").forEach((select) => (select.selectedIndex = 0));
      const legend = copy.querySelector("legend");
      legend.firstChild.textContent = legend.firstChild.textContent.replace(" (carried forward)", "").replace(" (on the register)", "");
      copy.querySelectorAll(".govuk-error-message").forEach((message) => message.remove());
      copy.querySelectorAll(".govuk-form-group--error").forEach((group) => group.classList.remove("govuk-form-group--error"));
      if (!copy.querySelector(".heat-remove-row")) {
        const remove = document.createElement("button");
        remove.type = "submit";
        remove.name = "remove_row";
        remove.className = "govuk-button govuk-button--secondary heat-remove-row";
        remove.innerHTML = 'Remove<span class="govuk-visually-hidden"></span>';
        copy.append(remove);
      }
      list.append(copy);
      renumber(list);
      if (rows.length === 1 && !rows[0].querySelector(".heat-remove-row")) {
        const first = copy.querySelector(".heat-remove-row").cloneNode(true);
        rows[0].append(first);
        renumber(list);
      }
      copy.querySelector("input:not([type=hidden]), textarea, select").focus();
    } else {
      const row = button.closest(".heat-row");
      const list = row.parentElement;
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      if (list.querySelectorAll(".heat-row").length === 1) list.querySelector(".heat-remove-row").remove();
      renumber(list);
      (next.querySelector("input:not([type=hidden]), textarea, select") || next).focus();
    }
    event.preventDefault();
  });
}

/* --- start ----------------------------------------------------------------------------------- */

freshKeys();
window.addEventListener("pageshow", (event) => {
  if (event.persisted) freshKeys();
});
timeoutWarning();
sectionErrors((summary) => new ErrorSummary(summary));
addAnother();
capturePassword();
unlockPage();
pinPage();

if (user && "serviceWorker" in navigator) {
  signOut();
  tabletPage = onThisTablet(ask);
  navigator.serviceWorker.register("/sw.js").then(async () => {
    const forget = body.dataset.heatForget;
    if (forget) await ask({ type: "forget", assessment: forget });
    const state = await ask({ type: "status", path: location.pathname + location.search });
    if (state.error) return;
    flash = state.flash;
    render(state);
    await section();
    checkPage = await checkAnswers(ask);
    await taskList(state);
    await caseload(state);
    if (state.waiting) drain();
  });
  window.addEventListener("online", drain);
  navigator.serviceWorker.addEventListener("message", async (event) => {
    if (event.data && event.data.type === "out-of-date") {
      // This page is the tablet's copy of an assessment whose submission has just been sent.
      if (leaving) return; // the page it is going to is asked for after the submission was sent
      if (flash === "submitted") location.assign(`/assessments/${serverId}/submitted`);
      else location.reload();
    }
    if (event.data && event.data.type === "outbox-changed") {
      render(await ask({ type: "status-quiet" }));
      if (checkPage) await checkPage();
    }
  });
}
