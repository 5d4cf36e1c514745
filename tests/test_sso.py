"""Issue 25, item 1: single sign-on with OpenID Connect, end to end against a real provider.

The provider is panva's `oidc-provider` (npm, a devDependency), started by this module on a free
port (tests/oidc/provider.mjs): HEAT reads its discovery document and keys, sends the browser to
it, exchanges the code with the PKCE verifier and checks the signed ID token. The "browser" is
HEAT's test client for HEAT's addresses and a requests session for the provider's, each with its
own cookies, following every redirect as a browser would; the provider's sign-in form is posted
like a person would. Nothing of the protocol is mocked.
"""

from __future__ import annotations

import re
import socket
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import pytest
import requests
from sqlalchemy import select

from heat.extensions import db
from heat.models import AuditEvent, User
from heat.services import sso
from tests import helpers, oidc_provider
from tests.conftest import PASSWORD, csrf_token, sign_in
from tests.test_assessment_flow import count

HEAT = "http://localhost"
CALLBACK = f"{HEAT}/sign-in/organisation/callback"
MULTI_FACTOR_ACR = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"
# The provider's people (invented). amr/acr say how each signs in there.
ACCOUNTS = {
    "amira": {"email": "amira.sso@example.org", "email_verified": True, "name": "Amira Sso", "groups": ["staff"]},
    "ben": {
        "email": "ben.sso@example.org",
        "email_verified": True,
        "name": "Ben Sso",
        "groups": ["staff", "heat-riverside"],
        "amr": ["pwd", "otp"],
    },
    "cara": {
        "email": "Cara.New@example.org",
        "email_verified": True,
        "name": "Cara New",
        "groups": ["staff", "heat-supervisors-riverside", "heat-riverside"],
        "amr": ["pwd"],
        "acr": MULTI_FACTOR_ACR,
    },
    "dev": {"email": "dev.sso@example.org", "email_verified": True, "name": "Dev Sso", "groups": ["staff"]},
    "eve": {"email": "eve.sso@example.org", "email_verified": False, "name": "Eve Sso", "groups": ["heat-riverside"]},
}
for _account in ACCOUNTS.values():
    _account.setdefault("amr", ["pwd"])
    _account.setdefault("acr", "urn:heat:test:one-factor")
ROLE_MAP = "heat-supervisors-riverside=supervisor:Riverside, heat-riverside=practitioner:Riverside, heat-audit=auditor"


@pytest.fixture(scope="module")
def issuer():
    """The provider, running for this module."""
    with oidc_provider.running(HEAT, ACCOUNTS) as address:
        yield address


@pytest.fixture
def sso_app(another_app, issuer):
    """sso_app(**settings) -> HEAT with single sign-on through the test provider."""
    return lambda **overrides: another_app(
        **oidc_provider.settings(issuer, **{"HEAT_OIDC_ROLE_MAP": ROLE_MAP, **overrides})
    )


class Browser:
    """One person's browser: HEAT's test client for HEAT, a requests session for the provider."""

    def __init__(self, app, issuer: str):
        self.heat = app.test_client()
        self.web = requests.Session()
        self.issuer = issuer

    def visit(self, url: str, method: str = "GET", data: dict | None = None, until: str | None = None):
        """Follow redirects across both sites; the last page, or the address `until` starts."""
        while True:
            if until is not None and url.startswith(until):
                return url
            if url.startswith(self.issuer):
                answer = self.web.request(method, url, data=data, allow_redirects=False, timeout=10)
                if not answer.is_redirect:
                    return answer
                url = urljoin(url, answer.headers["Location"])
            else:
                response = self.heat.open(url, method=method, data=data)
                if response.status_code not in (301, 302, 303, 307, 308):
                    return response
                url = urljoin(f"{HEAT}/", response.headers["Location"])
            method, data = "GET", None

    def start(self, until: str | None = None):
        """Press "Sign in with your organisation account": the provider's sign-in page."""
        button = organisation_button(self.heat.get("/sign-in"))
        assert button is not None
        return self.visit(urljoin(f"{HEAT}/", button["href"]), until=until)

    def sign_in(self, account: str, start=None):
        """Sign in at the provider as `account`; HEAT's page at the end of it all."""
        form = start if start is not None else self.start()
        assert form.url.startswith(f"{self.issuer}/interaction/"), form.text
        return self.visit(form.url, "POST", {"login": account})


def organisation_button(response):
    """The sign-in page's "Sign in with your organisation account" button (a link), if shown."""
    links = helpers.page(response).select("a.govuk-button")
    return next((a for a in links if a.get_text(strip=True) == "Sign in with your organisation account"), None)


def heat_user(app, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def audit_rows(app, action: str) -> list[tuple[int | None, str | None, str | None]]:
    with app.app_context():
        return [
            (e.user_id, e.email_tried, e.detail)
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        ]


def signed_in_page(response) -> bool:
    return response.status_code == 200 and helpers.page(response).find("button", string=re.compile("Sign out"))


def refusal(response) -> str:
    assert response.status_code == 403
    document = helpers.page(response)
    assert document.find("a", string="Go back to the sign-in page") is not None
    return document.find("h1").get_text(strip=True)


def test_an_existing_user_signs_in_with_the_code_flow(sso_app, issuer, make):
    app = sso_app()
    team = make.team("Riverside")
    amira = make.user("practitioner", team, email="amira.sso@example.org")
    browser = Browser(app, issuer)

    to_provider = browser.start(until=issuer)
    query = parse_qs(urlsplit(to_provider).query)
    assert query["response_type"] == ["code"] and query["code_challenge_method"] == ["S256"]
    assert query["state"] and query["nonce"] and query["code_challenge"]
    assert query["redirect_uri"] == [CALLBACK]

    landed = browser.sign_in("amira", browser.visit(to_provider))
    assert signed_in_page(landed), landed.get_data(as_text=True)
    assert browser.heat.get("/caseload").status_code == 200
    assert audit_rows(app, "sign_in") == [(amira.id, None, "organisation account")]
    assert heat_user(app, "amira.sso@example.org").role == "practitioner"


def test_the_sign_in_page_offers_the_organisation_account_beside_the_password(sso_app, make):
    app = sso_app()
    response = app.test_client().get("/sign-in?next=/caseload")
    assert organisation_button(response)["href"] == "/sign-in/organisation?next=/caseload"
    assert helpers.page(response).find("input", attrs={"name": "password"}) is not None
    # Password sign-in still works alongside.
    user = make.user("practitioner", make.team())
    assert sign_in(app.test_client(), user.email).status_code == 302


@pytest.mark.parametrize("part", ["state", "nonce"])
def test_a_tampered_state_or_nonce_is_refused(sso_app, issuer, make, part):
    app = sso_app()
    make.user("practitioner", make.team("Riverside"), email="amira.sso@example.org")
    browser = Browser(app, issuer)
    to_provider = browser.start(until=issuer)
    if part == "nonce":
        to_provider = with_param(to_provider, "nonce", "a-nonce-heat-never-sent")
    form = browser.visit(to_provider)
    back = browser.visit(form.url, "POST", {"login": "amira"}, until=CALLBACK)
    if part == "state":
        back = with_param(back, "state", "a-state-heat-never-sent")
    response = browser.visit(back)
    assert refusal(response) == "Your sign-in could not be checked"
    assert browser.heat.get("/caseload").status_code == 302
    assert audit_rows(app, "sign_in") == []
    assert audit_rows(app, "sign_in_refused") == [(None, None, "organisation account: unchecked")]


def test_a_code_used_once_cannot_sign_in_again(sso_app, issuer, make):
    app = sso_app()
    make.user("practitioner", make.team("Riverside"), email="amira.sso@example.org")
    browser = Browser(app, issuer)
    form = browser.start()
    back = browser.visit(form.url, "POST", {"login": "amira"}, until=CALLBACK)
    assert signed_in_page(browser.visit(back))
    replayed = Browser(app, issuer)  # someone else's browser, with the address from the history
    assert refusal(replayed.visit(back)) == "Your sign-in could not be checked"


def with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | {name: value}
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_an_unknown_user_is_created_with_the_role_and_team_of_their_groups(sso_app, issuer, make):
    app = sso_app(HEAT_OIDC_CREATE_USERS=True)
    team = make.team("Riverside")
    browser = Browser(app, issuer)
    landed = browser.sign_in("cara")
    assert signed_in_page(landed), landed.get_data(as_text=True)
    cara = heat_user(app, "cara.new@example.org")
    # The first of her groups that the map names decides: supervisor of Riverside.
    assert (cara.name, cara.role, cara.team_id, cara.active) == ("Cara New", "supervisor", team.id, True)
    with app.app_context():
        created = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user_created")).one()
        assert (created.user_id, created.target_user_id) == (None, cara.id)
        assert created.detail.endswith("from the organisation account")
    assert audit_rows(app, "sign_in") == [(cara.id, None, "organisation account")]
    # Her account page says where her password lives, with no form to change one HEAT does not keep.
    account = helpers.page(browser.heat.get("/account"))
    assert "You sign in with your organisation's account, so HEAT keeps no password for you." in account.get_text(" ")
    assert not account.select("a[href='/account/password']")
    assert browser.heat.get("/account/password").headers["Location"].endswith("/account")
    # No password: it cannot be used to sign in with one.
    assert sign_in(app.test_client(), "cara.new@example.org", "").status_code == 200


@pytest.mark.parametrize(
    "account, create, role_map, title, reason",
    [
        ("dev", True, ROLE_MAP, "You are not in a group that uses HEAT", "no_group"),
        ("ben", True, "heat-riverside=practitioner:Lakeside", "Your team is not set up in HEAT", "no_team"),
        ("ben", False, ROLE_MAP, "You do not have a HEAT account", "no_account"),
        ("eve", True, ROLE_MAP, "Your organisation account has no verified email address", "unverified_email"),
    ],
)
def test_who_cannot_be_given_an_account_is_refused_with_a_clear_page(
    sso_app, issuer, make, account, create, role_map, title, reason
):
    app = sso_app(HEAT_OIDC_CREATE_USERS=create, HEAT_OIDC_ROLE_MAP=role_map)
    make.team("Riverside")
    browser = Browser(app, issuer)
    response = browser.sign_in(account)
    assert refusal(response) == title
    if reason == "no_team":
        assert "‘Lakeside’" in response.get_data(as_text=True)
    assert heat_user(app, ACCOUNTS[account]["email"].lower()) is None
    assert count(app, User) == 0
    email = ACCOUNTS[account]["email"].lower()
    assert audit_rows(app, "sign_in_refused") == [(None, email, f"organisation account: {reason}")]
    assert browser.heat.get("/caseload").status_code == 302


def test_a_deactivated_heat_user_is_refused_whatever_the_provider_says(sso_app, issuer, make):
    app = sso_app(HEAT_OIDC_CREATE_USERS=True, HEAT_OIDC_REQUIRE_MFA=True)
    make.user("practitioner", make.team("Riverside"), email="ben.sso@example.org", active=False)
    browser = Browser(app, issuer)
    assert refusal(browser.sign_in("ben")) == "Your HEAT account has been deactivated"
    assert audit_rows(app, "sign_in_refused") == [(None, "ben.sso@example.org", "organisation account: deactivated")]
    assert browser.heat.get("/caseload").status_code == 302


class TestProviderTwoFactors:
    """HEAT_OIDC_REQUIRE_MFA=1 (with HEAT's own two-step sign-in required too, as in production)."""

    @pytest.fixture
    def mfa_app(self, sso_app, make):
        team = make.team("Riverside")
        for email in ("amira.sso@example.org", "ben.sso@example.org", "cara.new@example.org"):
            make.user("practitioner", team, email=email)
        return sso_app(HEAT_OIDC_REQUIRE_MFA=True, HEAT_MFA_REQUIRED=True)

    def test_one_factor_at_the_provider_is_refused(self, mfa_app, issuer):
        browser = Browser(mfa_app, issuer)
        assert refusal(browser.sign_in("amira")) == "Sign in to your organisation account in two steps"
        assert audit_rows(mfa_app, "sign_in_refused") == [
            (None, "amira.sso@example.org", "organisation account: one_factor")
        ]

    @pytest.mark.parametrize("account", ["ben", "cara"])  # amr pwd+otp; a multi-factor acr
    def test_two_factors_at_the_provider_skip_heats_own_second_step(self, mfa_app, issuer, account):
        browser = Browser(mfa_app, issuer)
        landed = browser.sign_in(account)
        assert signed_in_page(landed), landed.get_data(as_text=True)
        assert not heat_user(mfa_app, ACCOUNTS[account]["email"].lower()).totp_secret
        assert audit_rows(mfa_app, "sign_in")[0][2] == "organisation account, two factors at the provider"


def test_without_the_mfa_setting_heats_own_two_step_rules_apply(sso_app, issuer, make):
    app = sso_app(HEAT_MFA_REQUIRED=True)
    make.user("practitioner", make.team("Riverside"), email="ben.sso@example.org")
    browser = Browser(app, issuer)
    page = browser.sign_in("ben")
    assert page.status_code == 200 and helpers.page(page).find("h1").get_text(strip=True) == "Set up two-step sign-in"
    assert browser.heat.get("/caseload").status_code == 302  # not signed in until the second step is done


def test_password_sign_in_can_be_turned_off(sso_app, app, make):
    off = sso_app(HEAT_PASSWORD_SIGN_IN=False)
    user = make.user("practitioner", make.team())
    client = off.test_client()
    response = client.get("/sign-in")
    assert organisation_button(response) is not None
    assert helpers.page(response).find("input", attrs={"name": "password"}) is None
    # A password form kept open from before the switch (same key, so its token is good) is refused.
    before = app.test_client()
    token = csrf_token(before, "/sign-in")
    client.set_cookie("heat_session", before.get_cookie("heat_session").value)
    response = client.post("/sign-in", data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "Sign in with your organisation account" in response.get_data(as_text=True)
    assert client.get("/caseload").status_code == 302
    assert audit_rows(off, "sign_in") == [] and audit_rows(off, "sign_in_failed") == []


def test_sign_out_ends_the_session_at_heat_and_at_the_provider(sso_app, issuer, make):
    app = sso_app()
    amira = make.user("practitioner", make.team("Riverside"), email="amira.sso@example.org")
    browser = Browser(app, issuer)
    assert signed_in_page(browser.sign_in("amira"))
    # While the provider's session lasts, signing in again asks nothing there.
    assert signed_in_page(browser.visit(f"{HEAT}/sign-in/organisation"))

    token = csrf_token(browser.heat, "/account")
    out = browser.heat.post("/sign-out", data={"csrf_token": token})
    end = urlsplit(out.headers["Location"])
    assert f"{end.scheme}://{end.netloc}" == issuer and parse_qs(end.query)["post_logout_redirect_uri"] == [
        f"{HEAT}/sign-in"
    ]
    assert parse_qs(end.query)["id_token_hint"]
    confirm = browser.visit(out.headers["Location"])
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', confirm.text).group(1)
    back = browser.visit(urljoin(confirm.url, "/session/end/confirm"), "POST", {"xsrf": xsrf, "logout": "yes"})
    assert back.status_code == 200 and "You have signed out." in back.get_data(as_text=True)
    assert browser.heat.get("/caseload").status_code == 302
    assert audit_rows(app, "sign_out") == [(amira.id, None, "and at the organisation's provider")]
    # The provider's session has ended too: it asks who is signing in again.
    again = browser.start()
    assert again.url.startswith(f"{issuer}/interaction/")


@pytest.mark.parametrize(
    "amr, acr, two",
    [
        (["pwd"], None, False),
        (["pwd", "otp"], None, True),
        (["pwd", "mfa"], None, True),
        (["mfa"], None, True),
        (["hwk", "pin"], None, True),
        (["pwd", "rba"], None, False),  # a risk check is not a factor
        (["pwd", "pwd"], None, False),
        ([], MULTI_FACTOR_ACR, True),
        (["pwd"], "urn:heat:test:one-factor", False),
        ("mfa", None, False),  # amr is a list, never a string
        (None, None, False),
    ],
)
def test_what_counts_as_two_factors(amr, acr, two):
    assert sso.two_factors(amr, acr) is two


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", {}),
        (
            "a=practitioner:River side, b=auditor,a=admin",
            {"a": sso.GroupRole("practitioner", "River side"), "b": sso.GroupRole("auditor", None)},
        ),
        ("a", "is not in the form group=role:Team name"),
        ("a=boss", "the role for 'a' must be one of practitioner, supervisor, auditor, admin, not 'boss'"),
        ("a=supervisor", "a supervisor needs a team: a=supervisor:Team name"),
    ],
)
def test_the_role_map(text, expected):
    if isinstance(expected, dict):
        assert sso.role_map(text) == expected
    else:
        with pytest.raises(ValueError, match=re.escape(expected)):
            sso.role_map(text)


def test_a_provider_out_of_reach_is_a_clear_page_never_a_500(another_app):
    with socket.socket() as unused:  # a loopback port nobody listens on
        unused.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{unused.getsockname()[1]}"
    app = another_app(**oidc_provider.settings(closed))
    response = app.test_client().get("/sign-in/organisation")
    assert response.status_code == 503
    assert helpers.page(response).find("h1").get_text(strip=True) == (
        "Your organisation’s sign-in is not available at the moment"
    )
    assert audit_rows(app, "sign_in_refused") == [(None, None, "organisation account: unavailable")]
