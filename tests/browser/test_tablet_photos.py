"""Issue 21 items 6, 9 and 10 in Chromium on a tablet: a photo taken on an item arrives on the
server without its location, online and through the outbox with no signal; "I saw everything in
this room for myself" makes the graded items Observed (each still changeable); and Chromium finds
HEAT installable."""

from __future__ import annotations

import io

from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from heat.extensions import db
from heat.models import Assessment, AssessmentPhoto, AuditEvent
from heat.services import photos
from tests import helpers
from tests.browser.conftest import ARGS, CHROMIUM
from tests.browser.test_offline import fill, ready_offline, server, signed_in_tablet, wait_for  # noqa: F401
from tests.conftest import PASSWORD
from tests.test_assessment_flow import definition
from tests.test_photos import GPS, key_of, picture, visit

TABLET = {"width": 768, "height": 1024}


def sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="team caseload")).to_be_visible()


def test_a_photo_taken_on_the_tablet_arrives_without_its_location(app, make, signed_in, live_server, browser, tmp_path):
    v = visit(app, make, signed_in)
    checklist = definition(app)
    kitchen = checklist.domain("kitchen")
    first, second = kitchen.items[0], kitchen.items[1]
    camera = tmp_path / "camera.jpg"
    camera.write_bytes(picture((3000, 2000), "teal"))
    with Image.open(camera) as taken:  # as a tablet's camera makes it: it says where
        assert taken.getexif().get_ifd(GPS)
    context = browser.new_context(viewport=TABLET, has_touch=True)
    page = context.new_page()
    sign_in(page, live_server, v["worker"].email)
    page.goto(live_server + helpers.section_url(v["id"], "kitchen"))

    # Grades chosen, no "How do you know" yet: nothing is chosen for the practitioner.
    answers = {k: v for k, v in helpers.domain_data(checklist, "kitchen").items() if not k.startswith("source_")}
    fill(page, "kitchen", answers)
    assert page.locator('input[name^="source_"]:checked').count() == 0
    page.get_by_label("I saw everything in this room for myself").check()
    graded = [i for i in kitchen.items if answers.get(f"grade_{key_of(i)}") in ("1", "2", "3", "4", "5")]
    assert graded
    for item in graded:
        expect(page.locator(f'input[name="source_{key_of(item)}"][value="observed"]')).to_be_checked()
    # Each can still be changed.
    page.locator(f'input[name="source_{key_of(second)}"][value="carer_said"]').check()

    # "Add a photo" on the first item: the camera's photo, shrunk on the tablet before it is sent.
    page.get_by_label(f"Add a photo of {first.text.lower()}").set_input_files(str(camera))
    expect(page.get_by_text("This photo is added when you save this section.")).to_be_visible()
    page.get_by_role("button", name="Save and continue").click()
    expect(
        page.get_by_role("heading", name=checklist.domains[checklist.domains.index(kitchen) + 1].title)
    ).to_be_visible()

    with app.app_context():
        (photo,) = db.session.scalars(select(AssessmentPhoto).where(AssessmentPhoto.assessment_id == v["id"])).all()
        kept = photos.jpeg(photo)
        grades = {g.item_id: g.evidence_source for g in db.session.get(Assessment, v["id"]).grades}
    assert photo.item_id == first.id and max(photo.width, photo.height) == 1600
    with Image.open(io.BytesIO(kept)) as image:
        assert not image.getexif() and not image.getexif().get_ifd(GPS)
    assert b"Exif" not in kept
    assert grades[second.id] == "carer_said"
    assert all(grades[i.id] == "observed" for i in graded if i.id != second.id)

    # Back on the section, the photo shows on its item.
    page.goto(live_server + helpers.section_url(v["id"], "kitchen"))
    shown = page.get_by_role("img", name=f"Photo 1 of {first.text.lower()}")
    expect(shown).to_be_visible()
    assert shown.evaluate("img => img.naturalWidth") == 1600
    context.close()


def test_chromium_finds_heat_installable(app, make, live_server, chromium, tmp_path):
    worker = make.user("practitioner", make.team())
    # A profile on disk: Chromium installs nothing from an incognito window.
    context = chromium.launch_persistent_context(
        tmp_path / "profile", executable_path=CHROMIUM, args=ARGS, viewport=TABLET
    )
    page = context.pages[0] if context.pages else context.new_page()
    sign_in(page, live_server, worker.email)
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()
    expect(page.get_by_role("heading", name="team caseload")).to_be_visible()
    assert page.evaluate("!!navigator.serviceWorker.controller")
    cdp = context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"].endswith("/manifest.webmanifest") and not manifest["errors"]
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    # The tablet asked to keep its storage, and says what the browser answered.
    page.wait_for_function("document.documentElement.dataset.heatStorage")
    state = page.evaluate("document.documentElement.dataset.heatStorage")
    assert state in ("persisted", "refused")
    assert page.evaluate("window.heatStorageState()") == state
    note = page.locator("[data-heat-storage-note]")
    expect(note).to_be_visible() if state == "refused" else expect(note).to_be_hidden()
    context.close()


def test_a_photo_taken_with_no_signal_waits_in_the_outbox_and_arrives(
    app,
    make,
    signed_in,
    server,  # noqa: F811  (the fixture, from test_offline)
    chromium,
    tmp_path,
):
    """With no signal the shrunk photo is an ordinary field of the save: it waits, encrypted, in
    the tablet's outbox with the answers and arrives with them, without its location."""
    v = visit(app, make, signed_in)
    checklist = definition(app)
    first = checklist.domain("kitchen").items[0]
    camera = tmp_path / "camera.jpg"
    camera.write_bytes(picture((3000, 2000), "purple"))
    tablet, page = signed_in_tablet(chromium, tmp_path / "profile", server.url, v["worker"].email)
    ready_offline(page, f"{server.url}/assessments/{v['id']}")
    tablet.set_offline(True)
    page.get_by_role("link", name="Kitchen and food").click()
    fill(page, "kitchen", helpers.domain_data(checklist, "kitchen"))
    page.get_by_label(f"Add a photo of {first.text.lower()}").set_input_files(str(camera))
    expect(page.get_by_text("This photo is added when you save this section.")).to_be_visible()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("Saved on this tablet. It will be sent when you are back online.")).to_be_visible()
    with app.app_context():
        assert db.session.scalars(select(AssessmentPhoto)).all() == []
    tablet.set_offline(False)

    def arrived():
        with app.app_context():
            return db.session.scalars(select(AssessmentPhoto).where(AssessmentPhoto.assessment_id == v["id"])).all()

    wait_for(lambda: len(arrived()) == 1, seconds=60)
    (photo,) = arrived()
    with app.app_context():
        kept = photos.jpeg(db.session.get(AssessmentPhoto, photo.id))
        assert db.session.get(Assessment, v["id"]).section_status.get("kitchen") == "completed"
    assert photo.item_id == first.id and max(photo.width, photo.height) == 1600 and b"Exif" not in kept
    tablet.close()


def test_a_photo_is_removed_before_it_is_sent_and_a_sent_one_when_there_is_a_signal(
    app,
    make,
    signed_in,
    server,  # noqa: F811  (the fixture, from test_offline)
    chromium,
    tmp_path,
):
    """A photo chosen on the tablet can be removed before the section is saved; one saved with no
    signal is shown on its item while it waits and removed from the waiting save, which still
    arrives with its answers; a photo the server holds is removed only with a signal, audited."""
    v = visit(app, make, signed_in)
    checklist = definition(app)
    first, second = checklist.domain("kitchen").items[:2]
    camera = tmp_path / "camera.jpg"
    camera.write_bytes(picture((1200, 900), "orange"))
    tablet, page = signed_in_tablet(chromium, tmp_path / "profile", server.url, v["worker"].email)
    ready_offline(page, f"{server.url}/assessments/{v['id']}")
    tablet.set_offline(True)
    page.get_by_role("link", name="Kitchen and food").click()
    fill(page, "kitchen", helpers.domain_data(checklist, "kitchen"))
    page.get_by_label(f"Add a photo of {first.text.lower()}").set_input_files(str(camera))
    expect(page.get_by_text("This photo is added when you save this section.")).to_be_visible()
    page.get_by_role("button", name=f"Remove photo of {first.text.lower()}").click()
    expect(page.get_by_text("Photo removed. It will not be sent.")).to_be_visible()
    expect(page.get_by_text("This photo is added when you save this section.")).to_be_hidden()

    for item in (first, second):
        page.get_by_label(f"Add a photo of {item.text.lower()}").set_input_files(str(camera))
    expect(page.get_by_text("This photo is added when you save this section.")).to_have_count(2)
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("Saved on this tablet. It will be sent when you are back online.")).to_be_visible()
    page.goto(server.url + helpers.section_url(v["id"], "kitchen"))  # back to it, from the tablet
    waiting = page.get_by_text("This photo is saved on this tablet. It will be sent when you are back online.")
    expect(waiting).to_have_count(2)
    page.get_by_role("button", name=f"Remove photo of {first.text.lower()}").click()
    expect(page.get_by_text("Photo removed. It will not be sent.")).to_be_visible()
    expect(waiting).to_have_count(1)
    page.reload()  # the waiting save itself no longer holds it
    expect(waiting).to_have_count(1)
    expect(page.get_by_role("img", name="The photo saved on this tablet")).to_have_count(1)

    def arrived():
        with app.app_context():
            return db.session.scalars(select(AssessmentPhoto).where(AssessmentPhoto.assessment_id == v["id"])).all()

    tablet.set_offline(False)
    page.goto(f"{server.url}/on-this-tablet")
    page.get_by_role("button", name="Send now").click()
    wait_for(lambda: len(arrived()) == 1, seconds=60)
    (photo,) = arrived()
    assert photo.item_id == second.id

    def kitchen_saved():
        with app.app_context():
            return db.session.get(Assessment, v["id"]).section_status.get("kitchen") == "completed"

    wait_for(kitchen_saved)  # the answers with it

    page.goto(server.url + helpers.section_url(v["id"], "kitchen"))
    expect(page.get_by_role("img", name=f"Photo 1 of {second.text.lower()}")).to_be_visible()
    tablet.set_offline(True)
    page.get_by_role("button", name=f"Remove photo 1 of {second.text.lower()}").click()
    expect(page.get_by_text("This photo has been sent. You can remove it when you are back online.")).to_be_visible()
    assert len(arrived()) == 1
    tablet.set_offline(False)
    page.get_by_role("button", name=f"Remove photo 1 of {second.text.lower()}").click()
    expect(page.get_by_text("Photo removed. Your answers are not saved yet.")).to_be_visible()
    assert arrived() == []
    with app.app_context():
        removed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "photo_removed")).all()
        assert [(e.user_id, e.assessment_id) for e in removed] == [(v["worker"].id, v["id"])]
    tablet.close()
