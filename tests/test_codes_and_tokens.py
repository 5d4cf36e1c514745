"""Issue 22 items 6 and 13: a security code or recovery code sent by several sessions at once is
accepted once (real threads, the real database: SQLite, or PostgreSQL with HEAT_TEST_ON_POSTGRES=1);
a TOTP secret being set up stays on the server, never in the session cookie; API tokens end with a
password change or a deactivation, and stay ended when the account is reactivated."""

from __future__ import annotations

import threading

import pyotp
import pytest
from flask.sessions import SecureCookieSessionInterface

from heat.extensions import db
from heat.models import User
from heat.services import accounts
from tests import helpers
from tests.conftest import PASSWORD, csrf_token, sign_in
from tests.test_cli_and_admin import run
from tests.test_two_step import next_code, post_code, set_up

SESSIONS = 6


@pytest.fixture
def required(another_app):
    return another_app(HEAT_MFA_REQUIRED=True)


def at_the_second_step(app, email: str, count: int) -> list:
    clients = []
    for _ in range(count):
        client = app.test_client()
        assert sign_in(client, email).headers["Location"].endswith("/sign-in/code")
        client.token = csrf_token(client, "/sign-in/code")
        clients.append(client)
    return clients


def all_at_once(clients, code: str) -> int:
    """Each client posts the code at the same moment; how many were signed in."""
    barrier = threading.Barrier(len(clients))
    accepted: list[bool] = []

    def post(client):
        barrier.wait()
        response = client.post("/sign-in/code", data={"csrf_token": client.token, "code": code})
        accepted.append(response.status_code == 302 and not response.headers["Location"].endswith("/sign-in/code"))

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(accepted)


@pytest.mark.parametrize("kind", ["app", "recovery"])
def test_one_code_sent_by_six_sessions_at_once_is_accepted_once(required, make, kind):
    user = make.user("practitioner", make.team())
    first = required.test_client()
    sign_in(first, user.email)
    secret, recovery = set_up(first)
    clients = at_the_second_step(required, user.email, SESSIONS)
    code = next_code(secret) if kind == "app" else recovery[0]
    assert all_at_once(clients, code) == 1


def test_the_secret_being_set_up_is_not_in_the_session_cookie(required, make):
    user = make.user("practitioner", make.team())
    client = required.test_client()
    sign_in(client, user.email)
    page = client.get("/sign-in/set-up-two-step").get_data(as_text=True)
    cookie = client.get_cookie(required.config["SESSION_COOKIE_NAME"])
    stored = SecureCookieSessionInterface().get_signing_serializer(required).loads(cookie.value)
    shown = helpers.page(page).select_one("details code").get_text(strip=True)
    assert shown not in repr(stored) and shown not in cookie.value
    # The same secret on the next look, and it sets up two-step sign-in.
    again = helpers.page(client.get("/sign-in/set-up-two-step")).select_one("details code").get_text(strip=True)
    assert again == shown
    response = post_code(client, "/sign-in/set-up-two-step", pyotp.TOTP(shown).now())
    assert response.status_code == 200 and "recovery" in response.get_data(as_text=True).lower()
    with required.app_context():
        assert db.session.get(User, user.id).totp_pending is None


def new_token(app, email: str) -> str:
    return run(app, "api-tokens", "create", "--email", email, "--name", "Case system").output.strip().split()[-1]


def works(app, token: str) -> bool:
    return app.test_client().get("/api/v1/children", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_api_tokens_end_when_the_password_changes(app, make, signed_in):
    user = make.user("supervisor", make.team())
    token = new_token(app, user.email)
    assert works(app, token)
    client = signed_in(user)
    changed = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(client, "/account/password"),
            "current_password": PASSWORD,
            "new_password": "a quite different passphrase 42",
            "confirm_password": "a quite different passphrase 42",
        },
    )
    assert changed.status_code == 302
    assert not works(app, token)


def test_api_tokens_do_not_come_back_when_a_deactivated_account_is_reactivated(app, make):
    user = make.user("supervisor", make.team())
    token = new_token(app, user.email)
    assert works(app, token)

    def active(value: bool) -> None:
        with app.app_context():
            found = db.session.get(User, user.id)
            accounts.save_user(
                None,
                found,
                name=found.name,
                email=found.email,
                role=found.role,
                team_id=found.team_id,
                password=None,
                active=value,
            )
            db.session.commit()

    active(False)
    assert not works(app, token)
    active(True)
    assert not works(app, token)
