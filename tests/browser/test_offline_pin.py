"""An offline PIN (issue 21 item 5, "or an offline PIN they set"): someone who signs in with their
organisation's account gives HEAT no password, so their tablet keeps nothing until they set a PIN;
with it they work offline, unlock after a restart with no signal, and wrong tries erase the key.
Single sign-on through the test provider, HEAT on a port that can really be stopped."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from heat.extensions import db
from heat.models import User
from tests import helpers, oidc_provider
from tests.browser.test_offline import (
    TRY_EVERY_KEY,
    Server,
    assessment_ids,
    fill,
    open_tablet,
    saves_per_section,
    server,  # noqa: F401  (the fixture)
    signed_in_tablet,
    start_offline,
    wait_for,
)
from tests.conftest import PASSWORD

AMIRA = {"email": "amira.sso@example.org", "email_verified": True, "name": "Amira Sso", "amr": ["pwd", "otp"]}
ACCOUNTS = {"amira": AMIRA}
ERASED = "can now only be recovered by you signing in to HEAT with a signal"
PIN = "402715"


def sign_in_with_organisation(page, heat):
    page.goto(heat + "/sign-in")
    page.get_by_role("button", name="Sign in with your organisation account").click()
    account = page.get_by_label("Account")
    caseload = page.get_by_role("heading", name="team caseload")
    expect(account.or_(caseload)).to_be_visible()
    if account.is_visible():  # the provider asks unless it remembers her from earlier
        account.fill("amira")
        page.get_by_role("button", name="Sign in").click()
    expect(caseload).to_be_visible()


def set_pin(page, pin=PIN, again=PIN):
    page.get_by_label("PIN", exact=True).fill(pin)
    page.get_by_label("Enter the PIN again").fill(again)
    page.get_by_role("button", name="Set offline PIN").click()


def test_a_practitioner_with_no_password_sets_a_pin_works_offline_and_unlocks_with_it(
    app, another_app, make, chromium, tmp_path
):
    team = make.team()
    make.user("practitioner", team, email="amira.sso@example.org")
    colleague = make.user("practitioner", team)
    child = make.child(team)
    with app.app_context():
        amira = db.session.scalar(select(User).where(User.email == "amira.sso@example.org"))
        amira.password_hash = ""  # made at her first single sign-on: no password in HEAT
        db.session.commit()
    served: dict = {}
    heat = Server(lambda environ, start_response: served["app"](environ, start_response))
    heat.start()
    profile = tmp_path / "profile"
    try:
        with oidc_provider.running(heat.url, ACCOUNTS) as issuer:
            served["app"] = another_app(**oidc_provider.settings(issuer))
            tablet = open_tablet(chromium, profile)
            page = tablet.new_page()
            sign_in_with_organisation(page, heat.url)
            # No password reached the tablet: it keeps nothing, and says what to do.
            expect(page.get_by_text("Set an offline PIN to work offline.")).to_be_visible(timeout=20000)
            expect(page.get_by_text("Ready to work offline")).to_be_hidden()
            page.get_by_role("link", name="Set an offline PIN").click()
            expect(page.get_by_role("heading", name="Set an offline PIN")).to_be_visible()

            for pin, again, message in [
                ("", "", "Enter a PIN"),
                ("4027", "4027", "PIN must be 6 numbers or more"),
                ("40x715", "40x715", "PIN must only include numbers 0 to 9"),
                ("123456", "123456", "PIN must not be a run like 123456 or the same number repeated"),
                ("999999", "999999", "PIN must not be a run like 123456 or the same number repeated"),
                (PIN, "", "Enter the PIN again"),
                (PIN, "402716", "The PINs do not match: enter the same PIN twice"),
            ]:
                set_pin(page, pin, again)
                expect(page.get_by_role("link", name=message)).to_be_visible()
            set_pin(page)
            expect(page.get_by_text("Your offline PIN is set on this tablet.")).to_be_visible(timeout=20000)
            expect(page.get_by_role("link", name="There is a problem")).to_have_count(0)

            page.goto(f"{heat.url}/caseload")
            expect(page.get_by_text("Ready to work offline")).to_be_visible(timeout=30000)
            expect(page.get_by_text("Set an offline PIN to work offline.")).to_be_hidden()
            page.get_by_role("link", name="On this tablet").click()
            expect(page.get_by_text("You can unlock your visits on this tablet with your offline PIN.")).to_be_visible()
            page.goto(f"{heat.url}/caseload")
            tablet.set_offline(True)
            start_offline(page, heat, child)
            page.get_by_role("link", name="Visit details").click()
            fill(page, "visit", helpers.visit_data())
            page.get_by_role("button", name="Save and continue").click()
            expect(page.locator("[data-heat-waiting]")).to_have_text("2 saves waiting to be sent")
            tablet.close()
            heat.stop()  # no signal after the restart

            def locked_tablet():
                tablet = open_tablet(chromium, profile)
                page = tablet.new_page()
                page.goto(heat.url + "/")
                expect(page.get_by_role("heading", name="Unlock with your PIN")).to_be_visible()
                expect(page.get_by_label("Password")).to_be_hidden()  # she gave this tablet none
                return tablet, page

            tablet, page = locked_tablet()
            page.get_by_label("PIN").fill("402700")
            page.get_by_role("button", name="Unlock with your PIN").click()
            expect(page.get_by_role("link", name="The PIN is not correct. After 4 more wrong tries")).to_be_visible()
            page.get_by_label("PIN").fill(PIN)
            page.get_by_role("button", name="Unlock with your PIN").click()
            expect(page.get_by_role("heading", name="On this tablet", exact=True)).to_be_visible()
            expect(page.get_by_text("2 saves are waiting to be sent.").first).to_be_visible()
            page.get_by_role("link", name=f"Home environment assessment: {child.name}").click()
            page.get_by_role("link", name="Visit details").click()
            expect(page.locator("[name=visit_time]")).to_have_value("14:30")  # her answers, opened with the PIN
            tablet.close()

            tablet, page = locked_tablet()
            for _ in range(5):
                page.get_by_label("PIN").fill("402700")
                page.get_by_role("button", name="Unlock with your PIN").click()
                expect(page.get_by_label("PIN")).to_have_value("")
            expect(page.get_by_text(ERASED)).to_be_visible()

            heat.start()
            # A colleague signs in on the same tablet: a script in her page opens nothing of Amira's.
            page.goto(heat.url + "/sign-in")
            page.get_by_label("Email address").fill(colleague.email)
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Sign in", exact=True).click()
            page.wait_for_url(lambda url: "/sign-in" not in url)
            page.goto(f"{heat.url}/caseload")
            expect(page.get_by_text("Ready to work offline")).to_be_visible(timeout=30000)
            found = page.evaluate(TRY_EVERY_KEY)
            sealed = {owner: n for owner, n in found["sealed"].items() if owner != "null"}
            assert len(sealed) == 2
            (hers,) = [owner for owner in sealed if not found["opened"].get(owner)]
            assert sealed[hers] >= 2  # her start and her save wait, sealed
            page.get_by_role("button", name="Sign out").click()
            expect(page.get_by_role("heading", name="Sign in to HEAT")).to_be_visible()
            assert assessment_ids(app) == []

            # Amira, with a signal: setting her PIN again opens what waits, and it is sent once.
            sign_in_with_organisation(page, heat.url)
            expect(page.get_by_text("Set an offline PIN to work offline.")).to_be_visible(timeout=20000)
            page.get_by_role("link", name="Set an offline PIN").click()
            set_pin(page)
            expect(page.get_by_text("Your offline PIN is set on this tablet.")).to_be_visible(timeout=20000)
            wait_for(lambda: any(saves_per_section(app, a) == {"visit": 1} for a in assessment_ids(app)))
            tablet.close()
    finally:
        if heat.server is not None:
            heat.stop()


def test_a_practitioner_with_a_password_may_set_a_pin_too_and_unlock_with_either(
    app,
    make,
    server,  # noqa: F811
    chromium,
    tmp_path,
):
    """A PIN set from the account page, beside the password: after a restart with no signal the
    unlock page offers the PIN first and the password after it; wrong tries of both count
    together."""
    team = make.team()
    worker = make.user("practitioner", team)
    make.child(team)
    profile = tmp_path / "profile"
    tablet, page = signed_in_tablet(chromium, profile, server.url, worker.email)
    page.goto(f"{server.url}/caseload")
    expect(page.get_by_text("Ready to work offline")).to_be_visible(timeout=30000)
    page.get_by_role("link", name="Your account").click()
    page.get_by_role("link", name="Set an offline PIN").click()
    set_pin(page)
    expect(page.get_by_text("Your offline PIN is set on this tablet.")).to_be_visible(timeout=20000)
    tablet.close()
    server.stop()

    tablet = open_tablet(chromium, profile)
    page = tablet.new_page()
    page.goto(server.url + "/")
    expect(page.get_by_role("heading", name="Unlock with your PIN")).to_be_visible()
    expect(page.get_by_role("heading", name="Or use your password")).to_be_visible()
    page.get_by_label("PIN").fill("402700")
    page.get_by_role("button", name="Unlock with your PIN").click()
    expect(page.get_by_role("link", name="The PIN is not correct. After 4 more wrong tries")).to_be_visible()
    page.get_by_label("Password").fill("not-her-password")
    page.get_by_role("button", name="Unlock with your password").click()
    expect(page.get_by_role("link", name="The password is not correct. After 3 more wrong tries")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Unlock with your password").click()
    expect(page.get_by_role("heading", name="On this tablet", exact=True)).to_be_visible()
    expect(page.get_by_text("You can unlock your visits on this tablet with your offline PIN.")).to_be_visible()
    tablet.close()
