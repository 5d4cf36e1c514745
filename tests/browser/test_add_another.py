"""People and actions with the GOV.UK "add another" pattern, with JavaScript: rows are added and
removed on the page (so it works with no signal), by keyboard alone, and what is saved is what
was shown."""

from __future__ import annotations

from playwright.sync_api import expect

from heat.extensions import db
from heat.models import Assessment
from tests.browser.test_every_page import signed_in
from tests.browser.test_offline import wait_for
from tests.browser.test_tablet import seed


def test_rows_are_added_and_removed_on_the_page_by_keyboard(app, live_server, browser):
    seed(app)
    context, page = signed_in(browser, live_server, "north-worker@example.org")
    page.set_viewport_size({"width": 768, "height": 1024})
    page.get_by_role("link", name="Lily Carter").click()
    page.get_by_role("button", name="Start a new assessment").click()
    page.get_by_role("button", name="Start a new assessment").click()
    page.get_by_role("link", name="People present").click()
    rows = page.locator("[data-heat-rows=people] > fieldset")
    expect(rows).to_have_count(1)

    page.get_by_role("group", name="Person 1").get_by_label("Name or description").fill("Mother (invented)")
    page.get_by_role("button", name="Add another person").focus()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(2)
    expect(page.get_by_role("group", name="Person 2").get_by_label("Name or description")).to_be_focused()
    page.keyboard.type("Visitor who left")
    page.get_by_role("button", name="Add another person").focus()
    page.keyboard.press("Enter")
    page.keyboard.type("Partner (invented)")
    page.get_by_role("button", name="Remove person 2").focus()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(2)
    expect(page.get_by_role("group", name="Person 2").get_by_label("Name or description")).to_have_value(
        "Partner (invented)"
    )
    assert page.url.endswith("/sections/people")  # never left the page
    for person in ("Person 1", "Person 2"):  # asked of everyone, rows added on the page included
        here = page.get_by_role("group", name=person).get_by_role("group", name="Here at this visit?")
        here.get_by_label("Yes").check()

    page.get_by_role("group", name="Does a parent or carer have a new partner?").get_by_label("Yes").check()
    page.get_by_label("The child's father and other men in the child's life").fill("Father not seen.")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="Rooms seen")).to_be_visible()
    assessment_id = int(page.url.split("/")[-3])

    def people():
        with app.app_context():
            return [p.name for p in db.session.get(Assessment, assessment_id).people]

    wait_for(lambda: people() == ["Mother (invented)", "Partner (invented)"])  # sent from the tablet's outbox
    context.close()
