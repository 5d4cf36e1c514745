"""Single sign-on in a real browser against a real provider: the button, the provider's sign-in,
back into HEAT, the refusal page, and signing out at HEAT and the provider, with HEAT's CSP
(form-action) letting the sign-out form go on to the provider and nowhere else."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import expect

from tests import oidc_provider
from tests.live import serving

ACCOUNTS = {
    "amira": {"email": "amira.sso@example.org", "email_verified": True, "name": "Amira Sso", "amr": ["pwd", "otp"]},
    "dev": {"email": "dev.sso@example.org", "email_verified": True, "name": "Dev Sso", "amr": ["pwd", "otp"]},
}


@contextmanager
def heat_with_provider(another_app, **settings) -> Iterator[str]:
    """HEAT served on a free port with single sign-on through a provider that knows that port."""
    served: dict = {}
    with serving(lambda environ, start_response: served["app"](environ, start_response)) as port:
        heat = f"http://127.0.0.1:{port}"
        with oidc_provider.running(heat, ACCOUNTS) as issuer:
            served["app"] = another_app(**oidc_provider.settings(issuer, **settings))
            yield heat


def sign_in_at_provider(page, heat: str, account: str) -> None:
    page.goto(heat + "/sign-in")
    page.get_by_role("button", name="Sign in with your organisation account").click()
    page.get_by_label("Account").fill(account)
    page.get_by_role("button", name="Sign in").click()


def test_signing_in_and_out_with_the_organisation_account(another_app, make, browser):
    make.user("practitioner", make.team("Riverside"), email="amira.sso@example.org")
    with heat_with_provider(another_app, HEAT_OIDC_REQUIRE_MFA=True, HEAT_MFA_REQUIRED=True) as heat:
        context = browser.new_context(viewport={"width": 768, "height": 1024})
        page = context.new_page()
        sign_in_at_provider(page, heat, "amira")
        expect(page.get_by_role("heading", name="Riverside team caseload")).to_be_visible()

        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign out of the test provider?")).to_be_visible()
        page.get_by_role("button", name="Yes, sign me out").click()
        expect(page.get_by_text("You have signed out.")).to_be_visible()
        assert page.url.startswith(heat + "/sign-in")
        # Neither HEAT nor the provider remembers the session: the provider asks again.
        page.goto(heat + "/caseload")
        expect(page.get_by_role("heading", name="Sign in to HEAT")).to_be_visible()
        page.get_by_role("button", name="Sign in with your organisation account").click()
        expect(page.get_by_label("Account")).to_be_visible()
        context.close()


def test_someone_without_a_heat_account_sees_why(another_app, browser):
    with heat_with_provider(another_app) as heat:
        context = browser.new_context(viewport={"width": 320, "height": 640})
        page = context.new_page()
        sign_in_at_provider(page, heat, "dev")
        expect(page.get_by_role("heading", name="You do not have a HEAT account")).to_be_visible()
        expect(page.get_by_text(re.compile("There is no HEAT account for dev.sso@example.org"))).to_be_visible()
        page.get_by_role("link", name="Go back to the sign-in page").click()
        expect(page.get_by_role("heading", name="Sign in to HEAT")).to_be_visible()
        context.close()
