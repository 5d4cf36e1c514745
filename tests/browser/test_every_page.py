"""Every role's pages, and the error state of each form, on a 320 px screen: the accessibility
checker (conftest) runs axe and the reflow checks on each page state reached here."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from heat.services.demo import DEMO_PASSWORD
from tests.browser.test_tablet import fill_date, seed

PHONE = {"width": 320, "height": 740}


def signed_in(browser, live_server, email, javascript=True):
    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(live_server + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Sign out").or_(page.get_by_role("button", name="Sign out"))).to_be_visible()
    return context, page


def visit(page, url):
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    expect(page.locator("h1")).to_be_visible()


def press(page, button):
    page.get_by_role("button", name=button).click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()


def test_sign_in_pages_and_their_errors(app, live_server, browser):
    seed(app)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    visit(page, live_server + "/sign-in")
    press(page, "Sign in")
    page.get_by_label("Email address").fill("north-worker@example.org")
    page.get_by_label("Password", exact=True).fill("not the password")
    press(page, "Sign in")
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_practitioners_pages(app, live_server, browser, javascript):
    seed(app)
    context, page = signed_in(browser, live_server, "north-worker@example.org", javascript)
    visit(page, live_server + "/practice")
    visit(page, live_server + "/caseload")
    page.get_by_role("link", name="Mia Hughes").click()
    expect(page.get_by_role("heading", name="Mia Hughes")).to_be_visible()
    child_url = page.url
    for link, button in [
        ("Change the plan", "Record plan change"),
        ("Hand over to another worker", "Record handover"),
        ("Add to the chronology", "Add to chronology"),
    ]:
        page.goto(child_url)
        page.get_by_role("link", name=link).click()
        press(page, button)
    page.goto(child_url + "?kind=plan")
    page.goto(child_url)
    page.get_by_role("link", name=re.compile(r"\d+ \w+ 2026")).first.click()  # a submitted visit
    expect(page.get_by_text(re.compile("Overall rating"))).to_be_visible()

    # A new assessment: every section, each with its errors, then check answers.
    page.goto(child_url)
    page.get_by_role("button", name="Start a new assessment").click()
    page.get_by_role("button", name="Start a new assessment").click()
    expect(page.get_by_role("heading", name=re.compile("Home environment assessment|Assessment"))).to_be_visible()
    task_list = page.url
    sections = page.locator(".govuk-task-list a, .app-task-list a, a.govuk-task-list__link")
    links = [sections.nth(n).get_attribute("href") for n in range(sections.count())]
    assert len(links) >= 10, links
    for href in links:
        visit(page, live_server + href)
        if not javascript:  # with JavaScript the tablet keeps the save and says so, then moves on
            press(page, "Save and continue")
    visit(page, task_list)
    visit(page, task_list + "/check")
    context.close()


def test_a_supervisors_pages(app, live_server, browser):
    seed(app)
    context, page = signed_in(browser, live_server, "north-supervisor@example.org")
    visit(page, live_server + "/dashboard")
    for show in ("red", "incomplete", "flagged", "worse", "overdue_visit", "stepped_down"):
        visit(page, live_server + f"/dashboard?show={show}")
    visit(page, live_server + "/practice")
    fill_date(page, "From", "31", "2", "2026")
    press(page, "Show figures")
    visit(page, live_server + "/reviews")
    page.get_by_role("link", name="Decide on the step-down").click()
    press(page, "Record decision")
    visit(page, live_server + "/reviews")
    page.locator("a[href$='/review']").first.click()
    press(page, "Record decision")
    context.close()


def test_an_auditors_and_an_administrators_pages(app, live_server, browser):
    seed(app)
    context, page = signed_in(browser, live_server, "auditor@example.org")
    for url in ("/caseload", "/dashboard", "/practice", "/exports", "/audit"):
        visit(page, live_server + url)
    page.goto(live_server + "/exports")
    press(page, "Create export")
    context.close()

    context, page = signed_in(browser, live_server, "admin@example.org")
    visit(page, live_server + "/admin/users")
    visit(page, live_server + "/admin/teams")
    visit(page, live_server + "/admin/users/new")
    press(page, re.compile("Create|Add|Save"))
    visit(page, live_server + "/admin/users")
    page.get_by_role("link", name="Nadia Patel").click()
    expect(page.locator("h1")).to_be_visible()
    context.close()
