// The practitioner's password, made into a key the page cannot read back (PBKDF2, WebCrypto), for
// the service worker to open the tablet's store with: on the sign-in page just before it is sent,
// and on "Unlock with your password". The password itself never leaves the page.

async function passwordKey(text) {
  return crypto.subtle.importKey("raw", new TextEncoder().encode(text), "PBKDF2", false, ["deriveKey"]);
}

export async function tellWorker(message, wait = 3000) {
  const registration = await Promise.race([navigator.serviceWorker.ready, new Promise((resolve) => setTimeout(resolve, wait))]);
  const worker = registration && (navigator.serviceWorker.controller || registration.active);
  if (!worker) return {};
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(event.data || {});
    worker.postMessage(message, [channel.port2]);
    setTimeout(() => resolve({}), wait); // never hold up signing in
  });
}

export function capturePassword() {
  const form = document.querySelector("form[data-heat-sign-in]");
  const password = form && form.querySelector('input[name="password"]');
  if (!password || !("serviceWorker" in navigator) || !crypto.subtle) return;
  navigator.serviceWorker.register("/sw.js");
  let handed = false;
  form.addEventListener("submit", async (event) => {
    // The key is handed over before the form goes, waiting for the worker at most 3 s: on a new
    // tablet the first sign-in comes before the worker controls the page, and a key posted while
    // the page unloads can be lost. Either way the tablet could keep nothing until the next
    // sign-in. Signing in itself never waits longer than that.
    if (handed || !password.value) return;
    event.preventDefault();
    handed = true;
    try {
      await tellWorker({ type: "password", key: await passwordKey(password.value) });
    } finally {
      HTMLFormElement.prototype.submit.call(form); // the form's own "submit" button shadows form.submit
    }
  });
}

// The GOV.UK error pattern on a page whose form the script handles: the summary lists each
// problem, linked to its box, and each box shows its own message.
function problems(summary, list, fields, found) {
  list.replaceChildren();
  for (const [name, field] of Object.entries(fields)) {
    const text = found[name];
    field.group.classList.toggle("govuk-form-group--error", Boolean(text));
    field.input.classList.toggle("govuk-input--error", Boolean(text));
    field.message.hidden = !text;
    field.message.replaceChildren();
    const described = (field.input.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== field.message.id);
    if (text) {
      const hidden = document.createElement("span");
      hidden.className = "govuk-visually-hidden";
      hidden.textContent = "Error: ";
      field.message.append(hidden, text);
      described.push(field.message.id);
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `#${field.input.id}`;
      link.textContent = text;
      item.append(link);
      list.append(item);
    }
    if (described.length) field.input.setAttribute("aria-describedby", described.join(" "));
    else field.input.removeAttribute("aria-describedby");
  }
  const any = list.children.length > 0;
  summary.hidden = !any;
  document.title = any ? `Error: ${document.title.replace(/^Error: /, "")}` : document.title.replace(/^Error: /, "");
  if (any) summary.focus();
}

export function unlockPage() {
  const forms = document.querySelectorAll("form[data-heat-unlock]");
  if (!forms.length || !("serviceWorker" in navigator)) return;
  const summary = document.querySelector("[data-heat-unlock-summary]");
  const list = summary.querySelector("ul");
  summary.setAttribute("tabindex", "-1");
  const fields = {};
  for (const form of forms) {
    const kind = form.dataset.heatUnlock;
    fields[kind] = {
      input: form.querySelector("input"),
      group: form.querySelector("[data-heat-unlock-group]"),
      message: form.querySelector("[data-heat-unlock-error]"),
    };
  }
  const what = { password: "password", pin: "PIN" };
  // Which ways in this tablet holds for the practitioner: a PIN set here, a password given here.
  tellWorker({ type: "unlock-methods" }, 15000).then((methods) => {
    if (!methods.pin) return;
    document.querySelector("form[data-heat-unlock='pin']").hidden = false;
    document.querySelector("[data-heat-unlock-intro='pin']").hidden = false;
    document.querySelector("[data-heat-unlock-intro='password']").hidden = true;
    document.querySelector("[data-heat-unlock-heading]").textContent = "Unlock with your PIN";
    document.title = document.title.replace("Unlock with your password", "Unlock with your PIN");
    document.querySelector("form[data-heat-unlock='password']").hidden = !methods.password;
    document.querySelector("[data-heat-unlock-or]").hidden = !methods.password;
  });
  for (const form of forms) {
    const kind = form.dataset.heatUnlock;
    const input = fields[kind].input;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!input.value) return problems(summary, list, fields, { [kind]: `Enter your ${what[kind]}` });
      // The worker's PBKDF2 can take several seconds on a slow tablet: wait as long as setting a PIN does.
      const answer = await tellWorker({ type: "unlock", kind, key: await passwordKey(input.value) }, 15000);
      input.value = "";
      if (answer.unlocked) {
        location.reload(); // the page asked for opens now
      } else if (answer.erased) {
        for (const each of forms) each.hidden = true;
        document.querySelector("[data-heat-unlock-or]").hidden = true;
        summary.hidden = true;
        document.querySelector("[data-heat-unlock-erased]").hidden = false;
      } else if (answer.left === undefined) {
        problems(summary, list, fields, { [kind]: "The tablet did not answer. Try again." }); // no try counted
      } else {
        const left = answer.left === 1 ? "1 more wrong try" : `${answer.left} more wrong tries`;
        problems(summary, list, fields, {
          [kind]: `The ${what[kind]} is not correct. After ${left} this tablet erases its key to your visits`,
        });
      }
    });
  }
}

/* --- "Set an offline PIN" --------------------------------------------------------------------- */

const MIN_PIN = 6;

// What is wrong with a PIN and its confirmation, by box; empty when it can be set.
export function pinProblems(pin, again) {
  const found = {};
  const digits = [...pin].map(Number);
  const steps = new Set(digits.slice(1).map((digit, n) => digit - digits[n]));
  if (!pin) found.pin = "Enter a PIN";
  else if (!/^[0-9]+$/.test(pin)) found.pin = "PIN must only include numbers 0 to 9";
  else if (pin.length < MIN_PIN) found.pin = `PIN must be ${MIN_PIN} numbers or more`;
  else if (steps.size === 1 && [0, 1, -1].includes([...steps][0])) {
    found.pin = "PIN must not be a run like 123456 or the same number repeated";
  }
  if (!found.pin) {
    if (!again) found.confirm = "Enter the PIN again";
    else if (again !== pin) found.confirm = "The PINs do not match: enter the same PIN twice";
  }
  return found;
}

export function pinPage() {
  const form = document.querySelector("form[data-heat-pin]");
  if (!form) return;
  const summary = document.querySelector("[data-heat-pin-summary]");
  const list = summary.querySelector("ul");
  const done = document.querySelector("[data-heat-pin-done]");
  summary.setAttribute("tabindex", "-1");
  const field = (name, id) => ({
    input: document.getElementById(id),
    group: form.querySelector(`[data-heat-pin-group="${name}"]`),
    message: document.getElementById(`${id}-error`),
  });
  const fields = { pin: field("pin", "offline-pin"), confirm: field("confirm", "offline-pin-confirm") };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    done.hidden = true;
    const pin = fields.pin.input.value.trim();
    const found = pinProblems(pin, fields.confirm.input.value.trim());
    if (Object.keys(found).length) return problems(summary, list, fields, found);
    if (!("serviceWorker" in navigator) || !crypto.subtle) {
      return problems(summary, list, fields, { pin: "This browser cannot keep visits offline, so a PIN cannot be set" });
    }
    const answer = await tellWorker({ type: "pin", user: document.body.dataset.heatUser, key: await passwordKey(pin) }, 15000);
    if (!answer.set) {
      const text = answer.offline
        ? "HEAT cannot be reached. Set your PIN when you are back online"
        : "Your PIN could not be set. Sign in again and try again";
      return problems(summary, list, fields, { pin: text });
    }
    fields.pin.input.value = "";
    fields.confirm.input.value = "";
    problems(summary, list, fields, {});
    done.hidden = false;
    done.focus();
  });
}
