// Check answers shows what the tablet holds. Saves made on this tablet and not yet stored by the
// server (no signal, a slow link, the page opened from the tablet's copy) are shown in place of
// the page's copy of their sections, as the server will show them: the page carries how each
// section is shown (labels, choices, which answers are needed), made from the server's own forms
// (heat/views/answers.py, CheckSpec). The rating is never worked out here: the scoring rules are
// the server's alone, so until the saves are sent the page says so.

const RATING_LATER = "The rating is worked out when this is sent.";
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
// As the server's forms remove them (forms/fields.py, safe_text).
const UNSAFE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g; // eslint-disable-line no-control-regex

function date([day = "", month = "", year = ""]) {
  if (![day, month, year].some((part) => part.trim())) return "";
  const [d, m, y] = [day, month, year].map((part) => (/^\d+$/.test(part.trim()) ? Number(part) : NaN));
  const real = new Date(Date.UTC(y, m - 1, d));
  if (!(y >= 1 && y <= 9999) || real.getUTCFullYear() !== y || real.getUTCMonth() !== m - 1 || real.getUTCDate() !== d) return "";
  return `${d} ${MONTHS[m - 1]} ${y}`;
}

function shown(part, values, choices) {
  if (part.kind === "date") return date(values);
  if (part.kind === "multi") return values.filter(Boolean).map((v) => choices[part.choices][v] ?? v).join(", ");
  const value = values[0] ?? "";
  if (part.kind === "choice") return value === "" ? "" : (choices[part.choices][value] ?? value);
  return value.replace(UNSAFE, "");
}

function listRows(question, fields, choices) {
  // One answer per row kept: the stores keep a row (a person, an action) when its first answer is
  // given, and number what they keep from 1.
  const pattern = new RegExp(`^${question.list}-(\\d+)-(.+)$`);
  const rows = new Map();
  for (const [name, value] of fields) {
    const match = pattern.exec(name);
    if (!match) continue;
    const row = rows.get(Number(match[1])) || new Map();
    row.set(match[2], [...(row.get(match[2]) || []), value]);
    rows.set(Number(match[1]), row);
  }
  const found = [];
  let n = 0;
  for (const index of [...rows.keys()].sort((a, b) => a - b)) {
    const row = rows.get(index);
    if (!((row.get(question.key) || [])[0] || "").trim()) continue;
    n += 1;
    const parts = question.parts.map((part) => shown(part, row.get(part.name) || [], choices)).filter(Boolean);
    if (parts.length) found.push([`${question.label} ${n}`, parts.join("; ")]);
  }
  return found;
}

export function rowsOf(section, fields, choices) {
  // The rows Check answers shows for a section saved with these fields (check_rows, on the server).
  const values = (name) => fields.filter(([key]) => key === name).map(([, value]) => value);
  const rows = [];
  const gradeRows = {};
  for (const question of section.questions) {
    if (question.list) {
      rows.push(...listRows(question, fields, choices));
      continue;
    }
    const value = shown(question, values(question.name), choices);
    if (question.joins) {
      const row = rows[gradeRows[question.joins]];
      if (value && row) row[1] = `${row[1]}. ${question.prefix}${value}`;
      continue;
    }
    if (question.name.startsWith("grade_")) gradeRows[question.name] = rows.length;
    if (value || question.required) rows.push([question.label, value || "Not answered"]);
  }
  return rows;
}

function element(tag, className, text) {
  const made = document.createElement(tag);
  made.className = className;
  if (text !== undefined) made.textContent = text;
  return made;
}

function showSection(card, section, save, choices) {
  const completing = !save.fields.some(([name]) => name === "save_later");
  const title = completing ? section.title : section.in_progress;
  card.querySelector(".govuk-summary-card__title").textContent = title;
  const hidden = card.querySelector(".govuk-summary-card__actions .govuk-visually-hidden");
  if (hidden) hidden.textContent = ` ${section.title} (${title})`;
  const rows = rowsOf(section, save.fields, choices);
  const list = card.querySelector("dl.govuk-summary-list");
  list.replaceChildren(
    ...(rows.length ? rows : [["Answers", "None given"]]).map(([label, value]) => {
      const row = element("div", "govuk-summary-list__row");
      row.append(element("dt", "govuk-summary-list__key", label), element("dd", "govuk-summary-list__value", value));
      return row;
    }),
  );
}

export async function checkAnswers(ask) {
  // On Check answers: show the tablet's saves. Returns what to do when the outbox changes (the
  // page opens again from the server's answers once every save shown here is stored), or null.
  const data = document.getElementById("heat-check-spec");
  const match = /^\/assessments\/(\d+|new-[\w-]+)\/check$/.exec(location.pathname);
  if (!data || !match) return null;
  // What the page cannot show yet: the saves held here as the page was opened (those the server
  // had stored before it sent the page are left out), else those still waiting to be sent.
  const answer = await ask({ type: "saves", assessment: match[1] });
  const waiting = (answer.saves || []).filter((save) => !save.sent);
  const saves = answer.opened && answer.opened.length ? answer.opened : waiting;
  if (!saves.length) return null;
  const { choices, sections } = JSON.parse(data.textContent);
  for (const save of saves) {
    const section = sections.find((s) => s.id === save.section);
    const card = document.querySelector(`[data-heat-check-section="${CSS.escape(save.section)}"]`);
    if (section && card) showSection(card, section, save, choices);
  }
  const rating = document.querySelector("[data-heat-rating]");
  if (rating) rating.textContent = RATING_LATER;
  let submitted = false;
  let opening = false; // opening again from the server, until the new page replaces this one
  // "Submit assessment" pressed: the submission moves the page on; opening it again now would
  // cancel the submission the practitioner just made.
  document.addEventListener("submit", () => {
    submitted = true;
  });
  const openAgain = async () => {
    // Every save sent (a sent save stays on the tablet until its section is next opened, but the
    // server has it): the page opens again with the server's answers and rating.
    const now = await ask({ type: "saves", assessment: match[1] });
    if (!submitted && !opening && now.saves && !now.saves.some((save) => !save.sent) && navigator.onLine) {
      opening = true;
      location.reload();
    }
  };
  // A tap or key press while the page is opening again (a tap on "Submit assessment" just as the
  // last save was sent): the practitioner comes first. Opening again is stopped before the new
  // page replaces this one, which would drop the tap, and tried again once the page is left alone.
  const interrupt = () => {
    if (!opening || submitted) return;
    window.stop();
    opening = false;
    setTimeout(openAgain, 2000);
  };
  document.addEventListener("pointerdown", interrupt, true);
  document.addEventListener("keydown", interrupt, true);
  return openAgain;
}
