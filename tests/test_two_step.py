"""Two-step sign-in: setting it up at the first sign-in where it is required, a code from the
app at every sign-in after, one-use recovery codes, and an administrator's reset."""

from __future__ import annotations

import time

import pyotp
import pytest
from sqlalchemy import func, select

from heat.extensions import db
from heat.models import AuditEvent, RecoveryCode, User
from tests import helpers
from tests.conftest import csrf_token, sign_in


def post_code(client, url: str, code: str):
    return client.post(url, data={"csrf_token": csrf_token(client, url), "code": code})


def set_up(client) -> tuple[str, list[str]]:
    """Scan the QR code (read the key under it) and enter the app's code; the key and the codes."""
    page = helpers.page(client.get("/sign-in/set-up-two-step"))
    assert page.select_one(".heat-qr svg") is not None
    secret = page.select_one("details code").get_text(strip=True)
    response = post_code(client, "/sign-in/set-up-two-step", pyotp.TOTP(secret).now())
    assert response.status_code == 200, response.get_data(as_text=True)
    codes = [c.get_text(strip=True) for c in helpers.page(response).select(".heat-recovery-codes code")]
    return secret, codes


def next_code(secret: str) -> str:
    """The app's code for the next 30 seconds: a code already used is never accepted again."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def audits(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


@pytest.fixture
def required(another_app):
    return another_app(HEAT_MFA_REQUIRED=True)


def test_set_up_at_first_sign_in_where_required(required, make):
    user = make.user("practitioner", make.team())
    client = required.test_client()
    response = sign_in(client, user.email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in/set-up-two-step")
    assert client.get("/caseload").status_code == 302  # not signed in yet
    wrong = post_code(client, "/sign-in/set-up-two-step", "000000")
    assert wrong.status_code == 200 and "The code is not correct" in wrong.get_data(as_text=True)
    secret, codes = set_up(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/caseload").status_code == 200  # signed in
    with required.app_context():
        stored = db.session.get(User, user.id)
        assert stored.totp_secret is not None and secret.encode() not in stored.totp_secret  # sealed
        assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 10
    assert audits(required, "two_step_set_up") == 1


def test_every_sign_in_after_asks_for_the_code(required, make):
    user = make.user("practitioner", make.team())
    first = required.test_client()
    sign_in(first, user.email)
    secret, _ = set_up(first)
    used = pyotp.TOTP(secret).now()

    client = required.test_client()
    response = sign_in(client, user.email)
    assert response.headers["Location"].endswith("/sign-in/code")
    assert client.get("/caseload").status_code == 302
    for code in ["123456", used]:  # wrong, and right but already used
        refused = post_code(client, "/sign-in/code", code)
        assert refused.status_code == 200 and "The security code is not correct" in refused.get_data(as_text=True)
    assert audits(required, "sign_in_failed") == 2
    assert post_code(client, "/sign-in/code", next_code(secret)).status_code == 302
    assert client.get("/caseload").status_code == 200


def test_a_recovery_code_signs_in_once(required, make):
    user = make.user("practitioner", make.team())
    first = required.test_client()
    sign_in(first, user.email)
    _, codes = set_up(first)
    client = required.test_client()
    sign_in(client, user.email)
    assert post_code(client, "/sign-in/code", codes[0].upper()).status_code == 302
    assert "9 unused recovery codes" in client.get("/account").get_data(as_text=True)
    again = required.test_client()
    sign_in(again, user.email)
    assert post_code(again, "/sign-in/code", codes[0]).status_code == 200
    assert post_code(again, "/sign-in/code", codes[1]).status_code == 302
    assert audits(required, "recovery_code_used") == 2


def test_wrong_codes_are_throttled_like_wrong_passwords(required, make):
    user = make.user("practitioner", make.team())
    first = required.test_client()
    sign_in(first, user.email)
    secret, _ = set_up(first)
    client = required.test_client()
    sign_in(client, user.email)
    for _ in range(required.config["HEAT_LOGIN_FAILURES_PER_ACCOUNT"]):
        assert post_code(client, "/sign-in/code", "000000").status_code == 200
    refused = post_code(client, "/sign-in/code", next_code(secret))
    assert refused.status_code == 429 and "Retry-After" in refused.headers


def test_optional_outside_production(app, make, signed_in):
    """Where it is not required (the demo accounts' world), a user signs in with a password, and
    may turn two-step sign-in on from Your account; then it is asked for."""
    user = make.user("practitioner", make.team())
    client = signed_in(user)
    account = client.get("/account").get_data(as_text=True)
    assert "Set up two-step sign-in" in account
    secret, codes = set_up(client)
    assert len(codes) == 10
    assert "On since" in client.get("/account").get_data(as_text=True)
    later = app.test_client()
    assert sign_in(later, user.email).headers["Location"].endswith("/sign-in/code")
    assert post_code(later, "/sign-in/code", next_code(secret)).status_code == 302


def test_an_administrator_resets_it(required, make):
    user = make.user("practitioner", make.team())
    admin = make.user("admin")
    phone = required.test_client()
    sign_in(phone, user.email)
    set_up(phone)
    assert phone.get("/caseload").status_code == 200

    console = required.test_client()
    sign_in(console, admin.email)
    set_up(console)  # administrators sign in with two steps too
    page = console.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Reset two-step sign-in" in page
    token = csrf_token(console, f"/admin/users/{user.id}")
    response = console.post(f"/admin/users/{user.id}/two-step/reset", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Two-step sign-in reset for" in console.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert phone.get("/caseload").status_code == 302  # signed out
    with required.app_context():
        assert db.session.get(User, user.id).totp_secret is None
        assert (
            db.session.scalar(select(func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == user.id))
            == 0
        )
        reset = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "two_step_reset"))
        assert reset.user_id == admin.id and reset.target_user_id == user.id
    again = required.test_client()
    assert sign_in(again, user.email).headers["Location"].endswith("/sign-in/set-up-two-step")
