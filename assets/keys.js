// The practitioner's password, made into a key the page cannot read back (PBKDF2, WebCrypto), for
// the service worker to open the tablet's store with: on the sign-in page just before it is sent,
// and on "Unlock with your password". The password itself never leaves the page.

async function passwordKey(text) {
  return crypto.subtle.importKey("raw", new TextEncoder().encode(text), "PBKDF2", false, ["deriveKey"]);
}

async function tellWorker(message, wait = 3000) {
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

export function unlockPage() {
  const form = document.querySelector("form[data-heat-unlock]");
  if (!form || !("serviceWorker" in navigator)) return;
  const input = form.querySelector("#unlock-password");
  const group = form.querySelector("[data-heat-unlock-group]");
  const message = form.querySelector("[data-heat-unlock-error]");
  const summary = document.querySelector("[data-heat-unlock-summary]");
  const problem = (text) => {
    summary.querySelector("[data-heat-unlock-summary-text]").textContent = text;
    summary.hidden = false;
    message.replaceChildren();
    const hidden = document.createElement("span");
    hidden.className = "govuk-visually-hidden";
    hidden.textContent = "Error: ";
    message.append(hidden, text);
    message.hidden = false;
    group.classList.add("govuk-form-group--error");
    input.classList.add("govuk-input--error");
    input.setAttribute("aria-describedby", "unlock-password-error");
    document.title = `Error: ${document.title.replace(/^Error: /, "")}`;
    summary.focus();
  };
  summary.setAttribute("tabindex", "-1");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!input.value) return problem("Enter your password");
    const answer = await tellWorker({ type: "unlock", key: await passwordKey(input.value) });
    input.value = "";
    if (answer.unlocked) {
      location.reload(); // the page asked for opens now
    } else if (answer.erased) {
      form.hidden = true;
      summary.hidden = true;
      const erased = document.querySelector("[data-heat-unlock-erased]");
      erased.hidden = false;
    } else {
      const left = answer.left === 1 ? "1 more wrong try" : `${answer.left} more wrong tries`;
      problem(`The password is not correct. After ${left} this tablet erases its key to your visits`);
    }
  });
}
