"""A tablet you can trust (issue 21 items 3, 7 and 11): Check answers shows what the tablet holds,
errors show where they happen, and the sign-in page after a session ends says why once."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.test_offline import (  # noqa: F401 (draft and server are fixtures)
    CHILD_VOICE,
    draft,
    ready_offline,
    saves_per_section,
    server,
    sign_in,
    signed_in_tablet,
    wait_for,
)

SIGNED_OUT = "You have been signed out. Your saves are kept on this tablet"


@pytest.mark.parametrize("ended", ["idle", "cookie gone"])
def test_the_sign_in_page_after_the_session_ends_says_why_once_and_nothing_stale_after(
    app,
    server,  # noqa: F811
    chromium,
    draft,  # noqa: F811
    tmp_path,
    ended,
):
    """Issue 21 item 11: the session ends (for inactivity, or its cookie is gone) with a save
    waiting on the tablet; the sign-in page says why once, and after signing in no "You have been
    signed out" is left."""
    worker, assessment_id = draft
    tablet, page = signed_in_tablet(chromium, tmp_path / "profile", server.url, worker.email)
    ready_offline(page, f"{server.url}/assessments/{assessment_id}")
    tablet.set_offline(True)
    page.goto(f"{server.url}/assessments/{assessment_id}/sections/voice")
    page.locator(CHILD_VOICE).fill("Showed me her new shoes.")
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.get_by_text("Saved on this tablet. It will be sent when you are back online.")).to_be_visible()

    # The server's session ends; back online, the tablet finds it gone.
    idle = app.config["HEAT_IDLE_TIMEOUT"]
    if ended == "idle":
        app.config["HEAT_IDLE_TIMEOUT"] = dt.timedelta(seconds=-1)
    else:
        tablet.clear_cookies(name="heat_session")
    tablet.set_offline(False)
    expect(page.get_by_text(SIGNED_OUT)).to_have_count(1, timeout=20000)
    if ended == "idle":
        page.get_by_role("link", name="Sign in again").click()
    else:
        page.goto(f"{server.url}/caseload")  # a page the server must answer
    expect(page.get_by_role("heading", name="Sign in to HEAT")).to_be_visible()
    inactive = page.get_by_text("You were signed out because the app was not used for 30 minutes")
    expect(inactive).to_have_count(1 if ended == "idle" else 0)
    expect(page.get_by_text("Sign in to continue.")).to_have_count(0 if ended == "idle" else 1)
    # Nothing the tablet did meanwhile (its background fetches found the session gone too) queued
    # the message again: once read, "Sign in to continue." is gone; the reason for a time-out stays.
    page.reload()
    expect(inactive).to_have_count(1 if ended == "idle" else 0)
    expect(page.get_by_text("Sign in to continue.")).to_have_count(0)

    app.config["HEAT_IDLE_TIMEOUT"] = idle
    sign_in(page, worker.email)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    wait_for(lambda: saves_per_section(app, assessment_id).get("voice") == 1)
    expect(page.get_by_text(SIGNED_OUT)).to_have_count(0)
    page.goto(f"{server.url}/caseload")
    expect(page.get_by_role("heading", name="team caseload")).to_be_visible()
    expect(page.get_by_text(SIGNED_OUT)).to_have_count(0)
    expect(page.get_by_text("Sign in to continue.")).to_have_count(0)
    tablet.close()
