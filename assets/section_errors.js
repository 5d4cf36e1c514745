// Errors where they happen: before a section's page moves on (online, or saved on the tablet with
// no signal), it checks what the server would refuse, with the server's own rules and messages,
// which the page carries (forms/assessment.py, tablet_rules), and shows them as the server does:
// the GOV.UK error summary, focused, each message on its question, the title starting "Error: ".
// The server checks everything again; without this script its own checks are all there is.

// As the server's forms remove them before counting (forms/fields.py, safe_text).
const UNSAFE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g; // eslint-disable-line no-control-regex
const SKIPPED = new Set(["add_row", "remove_row", "add_photo", "remove_photo"]); // not saves

function valuesOf(form, name) {
  const inputs = [...form.querySelectorAll(`[name="${CSS.escape(name)}"]`)];
  return inputs.filter((input) => !(input.type === "radio" || input.type === "checkbox") || input.checked).map((input) => input.value);
}

function realDate([day = "", month = "", year = ""]) {
  const [d, m, y] = [day, month, year].map((part) => (/^\d+$/.test(part.trim()) ? Number(part) : NaN));
  const date = new Date(Date.UTC(y, m - 1, d));
  return y >= 1 && y <= 9999 && date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function length(rule, value) {
  // Counted as the server counts what it is sent: characters, a textarea's line break as two.
  const sent = rule.kind === "TextAreaField" ? value.replace(/\r?\n/g, "\r\n") : value;
  return [...sent.replace(UNSAFE, "")].length;
}

export function problemWith(rule, form, completing) {
  // The message the server would give this question first, or null.
  const values = valuesOf(form, rule.name);
  if (rule.kind === "date") {
    if (values.some((v) => v.trim())) return realDate(values) ? null : rule.date;
    return completing && rule.required ? rule.required : null;
  }
  const value = values.join("");
  if (!value.trim()) {
    if (completing && rule.required) return rule.required;
    const when = rule.required_when;
    if (when && (completing || !when.completing_only) && valuesOf(form, when.name).some((v) => when.values.includes(v))) return when.message;
    return null;
  }
  if (rule.max !== undefined && values.some((v) => length(rule, v) > rule.max)) return rule.too_long;
  return null;
}

function element(tag, className, text) {
  const made = document.createElement(tag);
  if (className) made.className = className;
  if (text !== undefined) made.textContent = text;
  return made;
}

function clear(form) {
  for (const group of form.querySelectorAll(".govuk-form-group--error")) group.classList.remove("govuk-form-group--error");
  for (const error of form.querySelectorAll(".govuk-error-message")) error.remove();
  for (const input of form.querySelectorAll(".govuk-input--error, .govuk-textarea--error, .govuk-select--error")) {
    input.classList.remove("govuk-input--error", "govuk-textarea--error", "govuk-select--error");
  }
  for (const described of form.querySelectorAll("[aria-describedby]")) {
    const ids = described.getAttribute("aria-describedby").split(" ").filter((id) => id && !id.endsWith("-error"));
    if (ids.length) described.setAttribute("aria-describedby", ids.join(" "));
    else described.removeAttribute("aria-describedby");
  }
  document.querySelectorAll(".govuk-error-summary").forEach((summary) => summary.remove());
  document.title = document.title.replace(/^Error: /, "");
}

function describedBy(target, id) {
  const ids = (target.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
  target.setAttribute("aria-describedby", [...ids, id].join(" "));
}

function showInline(form, rule, text) {
  // As GOV.UK Frontend draws a field with an error: the group marked, the message after the label
  // and hint, the control marked and described by it.
  const controls = [...form.querySelectorAll(`[name="${CSS.escape(rule.name)}"]`)];
  if (!controls.length) return;
  const group = controls[0].closest(".govuk-form-group");
  const message = element("p", "govuk-error-message");
  message.id = `${rule.id}-error`;
  message.append(element("span", "govuk-visually-hidden", "Error:"), ` ${text}`);
  const fieldset = controls[0].closest("fieldset.govuk-fieldset");
  if (fieldset && group && group.contains(fieldset) && rule.kind !== "StringField" && rule.kind !== "TextAreaField") {
    const items = fieldset.querySelector(".govuk-radios, .govuk-checkboxes, .govuk-date-input");
    (items || fieldset.lastElementChild).before(message);
    describedBy(fieldset, message.id);
    if (rule.kind === "date") controls.forEach((input) => input.classList.add("govuk-input--error"));
  } else {
    const control = controls[0];
    control.before(message);
    describedBy(control, message.id);
    const kind = control.tagName === "TEXTAREA" ? "textarea" : control.tagName === "SELECT" ? "select" : "input";
    control.classList.add(`govuk-${kind}--error`);
  }
  if (group) group.classList.add("govuk-form-group--error");
}

function showSummary(problems, init) {
  const summary = element("div", "govuk-error-summary");
  summary.dataset.module = "govuk-error-summary";
  const alert = element("div");
  alert.setAttribute("role", "alert");
  const body = element("div", "govuk-error-summary__body");
  const list = element("ul", "govuk-list govuk-error-summary__list");
  for (const { rule, text } of problems) {
    const link = element("a", "", text);
    link.href = `#${rule.id}${rule.kind === "date" ? "-day" : ""}`;
    const item = element("li");
    item.append(link);
    list.append(item);
  }
  body.append(list);
  alert.append(element("h2", "govuk-error-summary__title", "There is a problem"), body);
  summary.append(alert);
  const main = document.querySelector("main");
  const first = [...main.children].find((child) => !child.matches(".govuk-notification-banner"));
  main.insertBefore(summary, first || null);
  init(summary);
  if (document.activeElement !== summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
}

export function sectionErrors(init) {
  const form = document.querySelector("form[data-heat-section]");
  const data = form && form.querySelector("script[data-heat-rules]");
  if (!data) return;
  const rules = JSON.parse(data.textContent);
  form.addEventListener("submit", (event) => {
    const button = event.submitter;
    // What was typed when the session ends is kept as it is (heat.js, timeoutWarning).
    if (form.dataset.heatTimedOut || (button && SKIPPED.has(button.name))) return;
    const completing = !(button && button.name === "save_later");
    const problems = rules.map((rule) => ({ rule, text: problemWith(rule, form, completing) })).filter((p) => p.text);
    clear(form);
    if (!problems.length) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    for (const { rule, text } of problems) showInline(form, rule, text);
    document.title = `Error: ${document.title}`;
    showSummary(problems, init);
  });
}
