// HEAT on a tablet (issue 21 items 6, 9 and 10), all progressive enhancement: without this script
// every part works as plain HTML (the photo is a multipart upload, the "I saw everything" box is
// applied by the server, nothing is asked of the browser's storage).

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

function preparePhoto(input) {
  const name = input.name;
  const box = input.closest("[data-heat-photo]");
  const sent = document.createElement("input");
  sent.type = "hidden";
  box.append(sent);
  const preview = document.createElement("div");
  preview.className = "heat-photo-preview";
  preview.hidden = true;
  preview.setAttribute("aria-live", "polite");
  box.append(preview);
  // With the script, a photo goes with "Save and continue" (and so, with no signal, through the
  // outbox): the page's own "Add a photo" button is for pages without it.
  for (const button of box.querySelectorAll(".heat-add-photo__button")) button.remove();
  input.addEventListener("change", async () => {
    sent.removeAttribute("name");
    sent.value = "";
    input.name = name;
    preview.hidden = true;
    preview.replaceChildren();
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
    preview.append(image, words);
    preview.hidden = false;
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
for (const box of document.querySelectorAll('input[name="saw_all"]')) sawEverything(box);
if (document.body.dataset.heatUser) askToKeepStorage();
