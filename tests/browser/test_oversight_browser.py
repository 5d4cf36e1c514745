"""A supervisor reviews in the browser; an auditor exports and downloads the ZIP."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from playwright.sync_api import expect

from heat.services.demo import DEMO_PASSWORD
from tests.browser.test_tablet import fill_date, seed


def sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_supervisor_reviews_the_riskiest_assessment_answering_every_flag(app, live_server, browser):
    seed(app)
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    sign_in(page, live_server, "north-supervisor@example.org")
    page.get_by_role("link", name="Reviews").click()
    expect(page.get_by_role("heading", name="Assessments awaiting review")).to_be_visible()
    page.locator("table a").first.click()
    expect(page.get_by_role("heading", name="Review assessment")).to_be_visible()
    expect(page.get_by_text("Worse since stepping down").first).to_be_visible()
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("link", name="Select a decision")).to_be_visible()
    expect(page.get_by_role("link", name="Select your response to ‘Worse since stepping down’ (Mia)")).to_be_visible()
    answers = page.locator(".heat-flag-answer")
    for n in range(answers.count()):
        answers.nth(n).get_by_label("Discussed with the worker").check()
        answers.nth(n).get_by_role("textbox").fill("Went through it with the worker at supervision.")
    page.get_by_role("group", name="Decision").get_by_label("Escalated").check()
    page.get_by_label("Rationale").fill("Fourth visit worse than the last; escalated to the service manager.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded: Escalated.")).to_be_visible()
    # Mia's visit has left the queue; the demo's last joint visits of three other children wait.
    expect(page.get_by_role("heading", name="Assessments awaiting review")).to_be_visible()
    expect(page.get_by_role("table", name="Most at risk first")).not_to_contain_text("Mia Hughes")

    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="North team dashboard")).to_be_visible()
    page.get_by_role("link", name="Mia Hughes").click()
    expect(page.get_by_text("Supervisor decision: Escalated")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download history PDF").click()
    assert download.value.path().read_bytes().startswith(b"%PDF")
    context.close()


def test_auditor_creates_an_export_and_downloads_it(app, live_server, browser):
    seed(app)
    context = browser.new_context(viewport={"width": 1024, "height": 768}, accept_downloads=True)
    page = context.new_page()
    sign_in(page, live_server, "auditor@example.org")
    page.get_by_role("link", name="Exports").click()
    page.get_by_role("button", name="Create export").click()
    expect(page.get_by_role("link", name="Select at least one team")).to_be_visible()
    page.get_by_label("North").check()
    today = dt.date.today()
    start = today - dt.timedelta(days=365)
    fill_date(page, "From", str(start.day), str(start.month), str(start.year))
    fill_date(page, "To", str(today.day), str(today.month), str(today.year))
    page.get_by_role("button", name="Create export").click()
    expect(page.get_by_role("link", name="Download export")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download export").click()
    archive = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes()))
    assert "items.csv" in archive.namelist() and "review-decisions.csv" in archive.namelist()
    # North's recorded visits in the year: Mia's 4 and the 12 joint visits of Ava, Finn and Ruby.
    assert sum(name.endswith(".pdf") for name in archive.namelist()) == 16

    page.get_by_role("link", name="Audit trail").click()
    page.get_by_label("User's email address").fill("auditor@example.org")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("export downloaded")).to_be_visible()
    context.close()
