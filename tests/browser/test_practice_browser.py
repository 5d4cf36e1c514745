"""Calibration cases in the browser, on a 320 px screen: the administrator's pages, grading, the
result and the supervisor's agreement, with the error state of each form. The accessibility
checker (conftest) runs axe and the reflow checks on every page state reached."""

from __future__ import annotations

import io

from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from heat.checklist.agreement import quadratic_kappa
from heat.extensions import db
from heat.models import PracticeCase
from tests.browser.test_every_page import press, signed_in, visit
from tests.browser.test_tablet import seed


def choose_every_grade(page, grade: str) -> None:
    for radio in page.locator(f"input[type=radio][value='{grade}']").all():
        radio.check()


def a_picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (900, 600), "olive").save(out, "PNG")
    return out.getvalue()


def shown_photo(page) -> None:
    """The case's first photo is on the page and its picture has arrived."""
    photo = page.locator(".heat-practice-photos img").first
    photo.scroll_into_view_if_needed()
    expect(photo).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())


def test_practice_cases_from_draft_to_agreement(app, live_server, browser):
    seed(app)
    # scikit-learn is imported on first use and takes seconds on a loaded test machine; the tablet's
    # service worker shows "No connection" for a page slower than 8 s. Import it before the pages.
    assert quadratic_kappa([1, 2], [1, 2]) == 1.0
    context, page = signed_in(browser, live_server, "admin@example.org")
    visit(page, live_server + "/admin/practice-cases")
    page.get_by_role("link", name="Add a practice case").click()
    press(page, "Save practice case")
    page.get_by_label("Title").fill("A house with a toddler")
    page.get_by_label("Description of the home").fill("A terraced house (invented).\nThe stair gate is broken.")
    page.get_by_label("1 to 4").check()
    page.get_by_role("button", name="Save practice case").click()
    expect(page.get_by_role("heading", name="Reference grades")).to_be_visible()
    page.get_by_role("button", name="Save reference grades").click()  # nothing yet: may be saved in parts
    expect(page.get_by_role("heading", name="A house with a toddler")).to_be_visible()
    # A photo of the home: first with nothing chosen (the error state), then a picture and its words.
    page.get_by_role("link", name="Add a photo of the home").click()
    press(page, "Add photo")
    page.get_by_label("Photo", exact=True).set_input_files(
        files=[{"name": "gate.png", "mimeType": "image/png", "buffer": a_picture()}]
    )
    page.get_by_label("What the photo shows").fill("The stair gate, broken")
    page.get_by_role("button", name="Add photo").click()
    expect(page.get_by_text("Photo added.")).to_be_visible()
    expect(page.get_by_text("Photo 1: The stair gate, broken")).to_be_visible()
    shown_photo(page)
    press(page, "Publish practice case")
    page.get_by_role("link", name="Give the reference grades").click()
    choose_every_grade(page, "2")
    page.get_by_role("button", name="Save reference grades").click()
    page.get_by_role("button", name="Publish practice case").click()
    expect(page.get_by_text("Practice case published.")).to_be_visible()
    context.close()

    with app.app_context():
        demo_case = db.session.scalar(select(PracticeCase.id).order_by(PracticeCase.id))
    context, page = signed_in(browser, live_server, "north-worker@example.org")
    visit(page, live_server + "/practice-cases")
    visit(page, f"{live_server}/practice-cases/{demo_case}/grade")
    shown_photo(page)  # the demo case's drawing of its cot, as the practitioner grades
    press(page, "Submit my grades")
    choose_every_grade(page, "2")
    page.get_by_role("button", name="Submit my grades").click()
    expect(page.get_by_role("heading", name="Your grades beside the reference")).to_be_visible()
    expect(page.get_by_text("4 practitioners have graded this case")).to_be_visible()
    context.close()

    context, page = signed_in(browser, live_server, "north-supervisor@example.org")
    visit(page, live_server + "/practice-cases")
    page.get_by_role("link", name="A first-floor flat with a 5-month-old").click()
    expect(page.get_by_role("row", name="Nadia Patel")).to_be_visible()
    context.close()
