"""Your account's email choice in a browser: chosen with the keyboard and saved, on a 320 px
screen (the accessibility checker runs axe and the reflow checks on each state)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import PASSWORD


def test_choosing_a_daily_summary_in_your_account(make, live_server, browser):
    supervisor = make.user("supervisor", make.team())
    context = browser.new_context(viewport={"width": 320, "height": 740})
    page = context.new_page()
    page.goto(live_server + "/sign-in")
    page.get_by_label("Email address").fill(supervisor.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto(live_server + "/account")
    expect(page.get_by_text("HEAT is not set up to send emails yet")).to_be_visible()
    expect(page.get_by_label("Immediately, one email each time")).to_be_checked()
    page.get_by_label("In a daily summary").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save email choice").click()
    expect(page.get_by_text("Emails about Red visits and decisions: in a daily summary.")).to_be_visible()
    expect(page.get_by_label("In a daily summary")).to_be_checked()
    context.close()
