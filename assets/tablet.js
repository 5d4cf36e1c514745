// HEAT on a tablet (issue 21 items 6, 9 and 10), all progressive enhancement: without this script
// every part works as plain HTML (the photo is a multipart upload, the "I saw everything" box is
// applied by the server, nothing is asked of the browser's storage).
import { tellWorker } from "./keys.js";

/* --- photos: shrunk here, sent as an ordinary field ------------------------------------------ */

const MAX_SIDE = 1600; // as the server keeps them (services/photos.py)

// The photo drawn again on a canvas, at most MAX_SIDE px: only pixels, so no location or other
// metadata leaves the tablet, and a small data: URL that waits in the outbox like any answer.
async function shrink(file) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return canvas.toDataURL("image/jpeg", 0.85);
}

// What a "Remove photo" button on the page says of its photo: "… of <item>", as the server's do.
function removeButton(box, onRemove) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "govuk-button govuk-button--secondary heat-remove-photo";
  const hidden = document.createElement("span");
  hidden.className = "govuk-visually-hidden";
  hidden.textContent = ` ${box.dataset.heatPhotoOf || ""}`.trimEnd();
  button.append("Remove photo", hidden);
  button.addEventListener("click", onRemove);
  return button;
}

function say(box, text) {
  const note = box.querySelector("[data-heat-photo-note]");
  note.textContent = text;
}

function preparePhoto(input) {
  const name = input.name;
  const box = input.closest("[data-heat-photo]");
  const label = box.querySelector("label");
  box.dataset.heatPhotoOf = label ? label.textContent.trim().replace(/^Add a photo\s*/, "") : "";
  const sent = document.createElement("input");
  sent.type = "hidden";
  box.append(sent);
  const preview = document.createElement("div");
  preview.className = "heat-photo-preview";
  preview.hidden = true;
  box.append(preview);
  const note = document.createElement("p");
  note.className = "govuk-body-s";
  note.setAttribute("role", "status");
  note.dataset.heatPhotoNote = "";
  box.append(note);
  // With the script, a photo goes with "Save and continue" (and so, with no signal, through the
  // outbox): the page's own "Add a photo" button is for pages without it.
  for (const button of box.querySelectorAll(".heat-add-photo__button")) button.remove();
  const clear = () => {
    sent.removeAttribute("name");
    sent.value = "";
    input.name = name;
    preview.hidden = true;
    preview.replaceChildren();
  };
  input.addEventListener("change", async () => {
    clear();
    say(box, "");
    const file = input.files && input.files[0];
    if (!file) return;
    let url;
    try {
      url = await shrink(file);
    } catch (error) {
      return; // a picture this browser cannot draw goes as chosen: the server says what is wrong
    }
    sent.name = name;
    sent.value = url;
    input.removeAttribute("name"); // only the shrunk copy is sent
    const image = document.createElement("img");
    image.src = url;
    image.alt = "The photo you chose";
    const words = document.createElement("p");
    words.className = "govuk-body-s";
    words.textContent = "This photo is added when you save this section.";
    // Not wanted after all: nothing is sent.
    const remove = removeButton(box, () => {
      input.value = "";
      clear();
      say(box, "Photo removed. It will not be sent.");
      input.focus();
    });
    preview.append(image, words, remove);
    preview.hidden = false;
  });
}

/* --- a photo saved on this tablet, not sent yet: shown on its item, and removable ------------ */

// heat.js hands over the answers this tablet keeps for the section (heat:kept-answers). A photo
// among them is shown on its item and carried by the form again (a section saved twice goes as
// one save: the second must not lose it); "Remove photo" takes it out of the waiting save at once.
function waitingPhotos(event) {
  const { assessment, section, entry } = event.detail;
  if (!entry || entry.sent) return;
  for (const [field, url] of entry.fields) {
    if (!field.startsWith("photo_") || !String(url).startsWith("data:image/")) continue;
    const box = document.querySelector(`[data-heat-photo="${CSS.escape(field.slice("photo_".length))}"]`);
    if (!box) continue;
    const input = box.querySelector('input[type="file"]');
    const carried = document.createElement("input");
    carried.type = "hidden";
    carried.name = field;
    carried.value = url;
    const waiting = document.createElement("div");
    waiting.className = "heat-photo-preview";
    const image = document.createElement("img");
    image.src = url;
    image.alt = "The photo saved on this tablet";
    const words = document.createElement("p");
    words.className = "govuk-body-s";
    words.textContent = "This photo is saved on this tablet. It will be sent when you are back online.";
    const remove = removeButton(box, async () => {
      const answer = await tellWorker({ type: "drop-photo", user: document.body.dataset.heatUser, assessment, section, field });
      if (answer.sending) return say(box, "The photo could not be removed because it is being sent. Remove it once it has been sent.");
      if (!answer.removed) return location.reload(); // sent meanwhile: the server's page removes it
      waiting.remove();
      say(box, "Photo removed. It will not be sent.");
      input.focus();
    });
    waiting.append(carried, image, words, remove);
    box.prepend(waiting);
    // Another photo chosen for the item goes in its place with the next save.
    input.addEventListener("change", () => waiting.remove(), { once: true });
  }
}

// A photo the server holds is removed by the server: with no signal, the page says so instead of
// the browser's error page.
function sentPhotos() {
  document.addEventListener("click", (event) => {
    const button = event.target.closest('button[name="remove_photo"]');
    if (!button || navigator.onLine) return;
    event.preventDefault();
    const item = button.closest("li");
    let note = item.querySelector("[data-heat-photo-note]");
    if (!note) {
      note = document.createElement("p");
      note.className = "govuk-body-s";
      note.setAttribute("role", "status");
      note.dataset.heatPhotoNote = "";
      item.append(note);
    }
    note.textContent = "This photo has been sent. You can remove it when you are back online.";
  });
}

/* --- "I saw everything in this room for myself" ---------------------------------------------- */

const GRADED = new Set(["1", "2", "3", "4", "5"]);

// Every item graded 1 to 5 gets "Observed" as its "How do you know", each still changeable; an
// item graded later while the box is ticked too. Unticking changes nothing already chosen.
function sawEverything(box) {
  const form = box.form;
  const observe = (key) => {
    const sources = form.querySelectorAll(`input[type="radio"][name="source_${key}"]`);
    const observed = [...sources].find((radio) => radio.value === "observed");
    if (observed && !observed.checked) {
      observed.checked = true;
      observed.dispatchEvent(new Event("change", { bubbles: true }));
    }
  };
  const graded = (radio) => radio.checked && GRADED.has(radio.value);
  const grades = () => form.querySelectorAll('input[type="radio"][name^="grade_"]');
  box.addEventListener("change", () => {
    if (!box.checked) return;
    for (const radio of grades()) if (graded(radio)) observe(radio.name.slice("grade_".length));
  });
  form.addEventListener("change", (event) => {
    const radio = event.target;
    if (box.checked && radio.name && radio.name.startsWith("grade_") && graded(radio)) {
      observe(radio.name.slice("grade_".length));
    }
  });
}

/* --- storage the browser keeps (issue 21 item 6) --------------------------------------------- */

// "persisted" (the browser will not clear HEAT's storage to make room), "refused" (it may: saves
// waiting on this tablet could be lost), or "unsupported". Shown by any element marked
// data-heat-storage-note, and on <html data-heat-storage>, for the "On this tablet" page.
async function storageState() {
  if (!navigator.storage || !navigator.storage.persist) return "unsupported";
  try {
    if (await navigator.storage.persisted()) return "persisted";
    return (await navigator.storage.persist()) ? "persisted" : "refused";
  } catch (error) {
    return "refused";
  }
}

async function askToKeepStorage() {
  const state = await storageState();
  document.documentElement.dataset.heatStorage = state;
  for (const note of document.querySelectorAll("[data-heat-storage-note]")) note.hidden = state !== "refused";
  document.dispatchEvent(new CustomEvent("heat:storage", { detail: state }));
  return state;
}

window.heatStorageState = storageState;

for (const input of document.querySelectorAll('[data-heat-photo] input[type="file"]')) preparePhoto(input);
document.addEventListener("heat:kept-answers", waitingPhotos);
sentPhotos();
for (const box of document.querySelectorAll('input[name="saw_all"]')) sawEverything(box);
if (document.body.dataset.heatUser) askToKeepStorage();
