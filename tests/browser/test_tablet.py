"""A practitioner on a tablet: sign in, walk the home section by section, submit, download the PDF."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from heat.services.demo import DEMO_PASSWORD


def seed(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output


def fill_date(page, legend: str, day: str, month: str, year: str) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(day)
    group.get_by_label("Month").fill(month)
    group.get_by_label("Year").fill(year)


@pytest.mark.parametrize(
    "viewport, javascript",
    [({"width": 768, "height": 1024}, True), ({"width": 1024, "height": 768}, False)],
    ids=["portrait-js", "landscape-no-js"],
)
def test_practitioner_completes_an_assessment_on_a_tablet(app, live_server, browser, tmp_path, viewport, javascript):
    seed(app)
    context = browser.new_context(viewport=viewport, java_script_enabled=javascript, accept_downloads=True)
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(live_server + "/sign-in")
    page.get_by_label("Email address").fill("north-worker@example.org")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="North team caseload")).to_be_visible()
    assert page.get_by_role("link", name="Leo Walsh").count() == 0  # another team's child
    page.get_by_role("link", name="Lily Carter").click()
    page.get_by_role("button", name="Start a new assessment").click()
    expect(page.get_by_role("heading", name="Start a new assessment")).to_be_visible()
    page.get_by_label("Noah Carter (3 years)").check()  # one visit covers both children
    page.get_by_role("button", name="Start a new assessment").click()

    page.get_by_role("link", name="Visit details").click()
    expect(page.get_by_role("heading", name="Visit details")).to_be_visible()
    fill_date(page, "Date of visit", "2", "11", "2026")
    page.get_by_label("Time of visit").fill("09:45")
    page.get_by_label("Unannounced").check()
    page.get_by_role("group", name="Visit type").get_by_label("Child Protection").check()
    page.get_by_role("group", name="Child's plan on the day of the visit").get_by_label("Child Protection plan").check()
    page.get_by_label("Child Protection category").select_option(label="Neglect")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", name="People present")).to_be_visible()
    person = page.get_by_role("group", name="Person 1")
    person.get_by_label("Name or description").fill("Mother (invented)")
    person.get_by_role("group", name="Here at this visit?").get_by_label("Yes").check()
    person.get_by_label("Relationship to the child").select_option(label="Mother")
    page.get_by_role("group", name="Does a parent or carer have a new partner?").get_by_label("Not known").check()
    page.get_by_label("The child's father and other men in the child's life").fill(
        "Father not seen; asked mother to invite him next time."
    )
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", name="Rooms seen")).to_be_visible()
    for group in page.locator(".heat-item").all():
        group.get_by_label("Seen", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()

    # Nine checklist domains, each its own page: yes/no questions first, then the graded items.
    # Since 2026.4 the visit asks what suits the children's ages: Lily is under 1, Noah 1 to 4.
    definition = app.extensions["heat_definitions"][app.extensions["heat_current_version"]]
    if definition.weighs_evidence:
        definition = definition.for_ages(frozenset({"under_1", "1_to_4"}))
    for domain in definition.domains:
        expect(page.get_by_role("heading", level=1)).to_have_text(domain.title)
        for question in domain.questions:
            fine = next(label for key, label in question.answers if key != question.concern)
            page.get_by_role("group", name=question.text).get_by_label(fine, exact=True).check()
        items = page.locator(".heat-item.heat-grades")
        assert items.count() == len(domain.items)
        for n in range(items.count()):
            item = items.nth(n)
            item.get_by_label("2 Adequate").check()
            item.get_by_label("Observed").check()
        if domain.id == "sleep":
            items.first.get_by_label("4 Serious").check()
        page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", name="Child's voice and parent's view")).to_be_visible()
    page.get_by_role("group", name="Was Lily seen?").get_by_label("Seen awake").check()
    page.get_by_label("Lily's voice").fill("Lily was alert and followed faces.")
    page.get_by_role("group", name="Was Noah seen?").get_by_label("Seen awake").check()
    page.get_by_label("Noah's voice").fill("Noah showed me his toy cars.")
    page.get_by_role("group", name="Was the child seen alone?").get_by_label(
        "Not applicable (too young, or not seen)"
    ).check()
    page.get_by_label("Parent or carer's view").fill("Mother says the flat is damp.")
    page.get_by_role("group", name="Were the parent or carers shown the scores?").get_by_label("Yes").check()
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", name="Analysis, actions and next visit")).to_be_visible()
    page.get_by_label("Strengths").fill("Mother responds warmly.")
    page.get_by_label("Worries").fill("Where Lily sleeps in the day.")
    page.get_by_role("group", name="Action 1").get_by_label("Action").fill("Buy a cot mattress that fits")
    fill_date(page, "Next visit date", "16", "11", "2026")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", name="Check your answers before submitting")).to_be_visible()
    page.get_by_role("button", name="Submit assessment").click()

    # With JavaScript the tablet answers the submission and shows the server's answer once sent.
    expect(page.get_by_role("heading", name="Assessment submitted")).to_be_visible(timeout=20000)
    expect(page.locator(".govuk-panel__body")).to_have_text("Overall rating: Red")
    page.get_by_role("link", name="Read the assessment and its rating in full").click()
    expect(page.get_by_text("Overall rating: Red")).to_be_visible()
    expect(page.get_by_text("Sleep: Where the baby sleeps at night graded 4 Serious").first).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    path = tmp_path / "assessment.pdf"
    download_info.value.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "Lily Carter" in text and "Noah Carter" in text and "Overall rating: Red" in text

    assert problems == []
    context.close()


def test_phone_shows_the_checklist_without_sideways_scrolling(app, live_server, browser):
    seed(app)
    # The phone's layout and the server's error summary. With the service worker, whether this
    # save is answered by the server or queued on the phone depends on whether the assessment has
    # finished storing by the click (tests/browser/test_offline.py covers the queued path).
    context = browser.new_context(viewport={"width": 390, "height": 844}, service_workers="block")
    page = context.new_page()
    page.goto(live_server + "/sign-in")
    page.get_by_label("Email address").fill("north-worker@example.org")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Mia Hughes").click()
    page.get_by_role("button", name="Start a new assessment").click()
    expect(page.get_by_role("heading", name="Start a new assessment")).to_be_visible()
    page.get_by_role("button", name="Start a new assessment").click()
    page.get_by_role("link", name="Safety hazards").click()
    expect(page.get_by_role("heading", name="Safety hazards")).to_be_visible()
    # The last visit's grade is shown beside the item it belongs to.
    expect(page.get_by_text("Last visit: 2 Adequate").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_role("link", name="Answer the question: Is there a working smoke alarm?")).to_be_visible()
    expect(page.get_by_role("link", name="Select a grade for stair gates, windows and blind cords")).to_be_visible()
    context.close()
