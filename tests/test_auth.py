"""Sign-in, passwords, throttling and sessions (targets.md, security)."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from heat.extensions import db
from heat.models import AuditEvent, User
from heat.services import accounts, passwords
from tests import helpers
from tests.conftest import PASSWORD, csrf_token, sign_in


def audit_count(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_sign_in_page_has_the_words_users_rely_on(app):
    page = app.test_client().get("/sign-in").get_data(as_text=True)
    assert ">Email address<" in page.replace("\n", "").replace("  ", "")
    assert "Password" in page and ">Sign in<" in page.replace("\n", "").replace("  ", "")


def test_practitioner_lands_on_their_caseload_after_sign_in(app, make):
    team = make.team("Riverside")
    worker = make.user("practitioner", team)
    make.child(team, "Ella", "Invented")
    client = app.test_client()
    response = sign_in(client, worker.email)
    assert response.status_code == 302
    page = client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "Riverside team caseload" in page and "Ella Invented" in page
    assert audit_count(app, "sign_in") == 1


def test_wrong_password_is_refused_with_a_message_and_audited(app, make):
    worker = make.user("practitioner", make.team())
    response = sign_in(app.test_client(), worker.email, "not the password")
    assert response.status_code == 200
    assert "Enter a correct email address and password" in response.get_data(as_text=True)
    assert audit_count(app, "sign_in_failed") == 1


def test_repeated_failures_for_one_account_are_refused_with_429(app, make):
    worker = make.user("practitioner", make.team())
    client = app.test_client()
    limit = app.config["HEAT_LOGIN_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        assert sign_in(client, worker.email, "wrong password").status_code == 200
    # Even the right password is refused until the window passes.
    assert sign_in(client, worker.email, PASSWORD).status_code == 429
    assert audit_count(app, "sign_in_failed") == limit
    assert audit_count(app, "sign_in_throttled") == 1


def test_repeated_failures_from_one_address_are_refused_with_429(app, make):
    client = app.test_client()
    limit = app.config["HEAT_LOGIN_FAILURES_PER_ADDRESS"]
    for n in range(limit):
        sign_in(client, f"nobody{n}@example.org", "wrong password")
    worker = make.user("practitioner", make.team())
    assert sign_in(client, worker.email, PASSWORD).status_code == 429


def test_deactivated_account_cannot_sign_in(app, make):
    user = make.user("practitioner", make.team(), active=False)
    assert sign_in(app.test_client(), user.email).status_code == 200


def test_stored_hash_is_argon2id_with_library_defaults(app, make):
    passwords.configure(PasswordHasher())
    try:
        with app.app_context():
            stored = passwords.hash_password("a long enough passphrase")
    finally:
        passwords.configure(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    defaults = PasswordHasher()
    assert stored.startswith(
        f"$argon2id$v=19$m={defaults.memory_cost},t={defaults.time_cost},p={defaults.parallelism}$"
    )


@pytest.mark.parametrize(
    "password, problem",
    [
        ("short", "at least 8 characters"),
        ("1234567", "at least 8 characters"),
        ("password", "too common"),
        ("Password123", "too common"),
        ("aaaaaaaaaaaa", "too common"),
        ("x" * 129, "128 characters or fewer"),
        ("my jane.smith passphrase", "must not contain your email"),
        ("kettle on the windowsill", None),
        ("lowercase only long phrase", None),
        ("12345678901234567890abc", "too easy to guess"),
        ("Welcome2026!", "too easy to guess"),
        ("Password2024", "too easy to guess"),
        ("Qwerty2026", "too easy to guess"),
        ("Heat2026!", "too easy to guess"),
        ("p" * 50 + "q" * 14 + "r", None),
        ("€uro signs and ünïcode ok", None),
    ],
)
def test_password_policy(password, problem):
    found = passwords.password_problem(password, "jane.smith@example.org")
    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_session_cookie_attributes(app, make):
    worker = make.user("practitioner", make.team())
    client = app.test_client()
    token = csrf_token(client)
    response = client.post("/sign-in", data={"csrf_token": token, "email": worker.email, "password": PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("heat_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires" not in cookie  # no long-lived remember-me cookie
    assert not any(c.startswith("remember_token") for c in response.headers.getlist("Set-Cookie"))


def test_secure_cookie_when_served_over_https(another_app, make):
    https_app = another_app(SESSION_COOKIE_SECURE=True, HEAT_HSTS=True)
    response = https_app.test_client().get("/sign-in", base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_session_id_changes_at_sign_in(app, make):
    worker = make.user("practitioner", make.team())
    client = app.test_client()
    client.get("/sign-in")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, worker.email)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_old_cookie_is_refused_after_sign_out(app, make, signed_in):
    worker = make.user("practitioner", make.team())
    client = signed_in(worker)
    old_cookie = client.get_cookie("heat_session").value
    assert client.post("/sign-out", data={"csrf_token": client.token}).status_code == 302
    replay = app.test_client()
    replay.set_cookie("heat_session", old_cookie)
    response = replay.get("/caseload")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_deactivating_an_account_ends_its_sessions(app, make, signed_in):
    team = make.team()
    worker = make.user("practitioner", team)
    client = signed_in(worker)
    admin = signed_in(make.user("admin"))
    response = admin.post(
        f"/admin/users/{worker.id}",
        data={
            "csrf_token": admin.token,
            "name": worker.name,
            "email": worker.email,
            "role": "practitioner",
            "team_id": str(team.id),
            "active": "deactivated",
        },
    )
    assert response.status_code == 302
    assert client.get("/caseload").status_code == 302


@pytest.mark.parametrize("minutes, signed_out", [(29, False), (31, True)])
def test_idle_timeout(app, make, signed_in, monkeypatch, minutes, signed_out):
    import time as real_time

    worker = make.user("practitioner", make.team())
    client = signed_in(worker)
    start = real_time.time()
    monkeypatch.setattr("heat.security.time.time", lambda: start + minutes * 60)
    response = client.get("/caseload")
    assert (response.status_code == 302) is signed_out
    if signed_out:
        page = client.get("/sign-in").get_data(as_text=True)
        assert "signed out because the app was not used for 30 minutes" in page


def test_absolute_timeout_even_when_active(app, make, signed_in, monkeypatch):
    import time as real_time

    client = signed_in(make.user("practitioner", make.team()))
    start = real_time.time()
    for step in range(1, 36):  # busy every 20 minutes for 11 hours 40 minutes: still signed in
        now = start + step * 1200
        monkeypatch.setattr("heat.security.time.time", lambda now=now: now)
        assert client.get("/caseload").status_code == 200
    monkeypatch.setattr("heat.security.time.time", lambda: start + 12 * 3600 + 60)
    assert client.get("/caseload").status_code == 302


def test_notification_banners_show_their_message_not_markup(app):
    client = app.test_client()
    client.get("/caseload")  # signed out: sent to sign in, with a message
    html = client.get("/sign-in").get_data(as_text=True)
    heading = helpers.page(html).select_one(".govuk-notification-banner__heading")
    assert heading is not None and heading.get_text(strip=True) == "Sign in to continue."
    assert "&lt;p" not in html


def test_change_your_own_password(app, make, signed_in):
    user = make.user("practitioner", make.team())
    here, elsewhere = signed_in(user), signed_in(user)  # a tablet and a laptop
    page = here.get("/caseload").get_data(as_text=True)
    assert 'href="/account">Your account</a>' in page
    assert 'href="/account/password">Change your password</a>' in here.get("/account").get_data(as_text=True)

    def change(current, new, confirm=None):
        token = csrf_token(here, "/account/password")
        return here.post(
            "/account/password",
            data={
                "csrf_token": token,
                "current_password": current,
                "new_password": new,
                "confirm_password": new if confirm is None else confirm,
            },
        )

    for current, new, confirm, message in [
        ("not my password", "kettle on the windowsill", None, "Your current password is not correct"),
        (PASSWORD, "Welcome2026!", None, "This password is too easy to guess"),
        (PASSWORD, PASSWORD, None, "different from your current one"),
        (PASSWORD, "kettle on the windowsill", "kettle on the window sill", "The new passwords do not match"),
    ]:
        response = change(current, new, confirm)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "There is a problem" in html and message in html
    assert sign_in(app.test_client(), user.email).status_code == 302  # nothing changed yet

    response = change(PASSWORD, "kettle on the windowsill")
    assert response.status_code == 302
    assert "Your password has been changed" in here.get("/caseload").get_data(as_text=True)  # still signed in here
    assert elsewhere.get("/caseload").status_code == 302  # signed out everywhere else
    assert sign_in(app.test_client(), user.email).status_code == 200  # the old password is refused
    assert sign_in(app.test_client(), user.email, "kettle on the windowsill").status_code == 302
    with app.app_context():
        changed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "password_changed")).all()
        assert [e.user_id for e in changed] == [user.id]


def test_a_hash_made_with_older_parameters_is_upgraded_at_sign_in(app, make):
    user = make.user("practitioner", make.team())
    older = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1).hash(PASSWORD)
    with app.app_context():
        db.session.get(User, user.id).password_hash = older
        db.session.commit()
    assert sign_in(app.test_client(), user.email).status_code == 302
    with app.app_context():
        upgraded = db.session.get(User, user.id).password_hash
    assert upgraded != older and not passwords.needs_rehash(upgraded)
    assert passwords.verify_password(upgraded, PASSWORD)


def test_each_failure_beyond_the_limit_doubles_the_wait_up_to_15_minutes():
    base, cap = dt.timedelta(seconds=30), dt.timedelta(minutes=15)
    waits = [accounts.backoff(n, 5, base, cap).total_seconds() for n in range(3, 12)]
    assert waits == [0, 0, 30, 60, 120, 240, 480, 900, 900]


def test_a_throttled_sign_in_says_how_long_to_wait(app, make):
    worker = make.user("practitioner", make.team())
    client = app.test_client()
    for _ in range(app.config["HEAT_LOGIN_FAILURES_PER_ACCOUNT"]):
        sign_in(client, worker.email, "wrong password")
    refused = sign_in(client, worker.email, PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 30
    assert "Wait 1 minute and try again" in refused.get_data(as_text=True)


def test_nobody_can_lock_a_practitioner_out_of_their_own_tablet(another_app, make):
    """25 failures for the account from many addresses: the practitioner's tablet, where they
    signed in before, still signs in; a device never used before waits."""
    application = another_app(HEAT_PROXY_HOPS=1)
    worker = make.user("practitioner", make.team())
    tablet = application.test_client()
    tablet.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.10"
    assert sign_in(tablet, worker.email).status_code == 302
    assert tablet.get_cookie("heat_device") is not None
    tablet.post("/sign-out", data={"csrf_token": csrf_token(tablet, "/caseload")})
    for n in range(25):
        attacker = application.test_client()
        attacker.environ_base["HTTP_X_FORWARDED_FOR"] = f"198.51.100.{n + 1}"
        sign_in(attacker, worker.email, f"guess number {n}")
    assert sign_in(tablet, worker.email).status_code == 302
    stranger = application.test_client()
    stranger.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.10"
    assert sign_in(stranger, worker.email).status_code == 429


def test_failures_on_a_trusted_device_make_it_wait(app, make):
    worker = make.user("practitioner", make.team())
    tablet = app.test_client()
    assert sign_in(tablet, worker.email).status_code == 302
    tablet.post("/sign-out", data={"csrf_token": csrf_token(tablet, "/caseload")})
    for _ in range(app.config["HEAT_LOGIN_FAILURES_PER_ACCOUNT"]):
        assert sign_in(tablet, worker.email, "wrong password").status_code == 200
    assert sign_in(tablet, worker.email).status_code == 429


def test_a_forged_device_cookie_is_ignored(app, make):
    worker = make.user("practitioner", make.team())
    client = app.test_client()
    for _ in range(app.config["HEAT_LOGIN_FAILURES_PER_ACCOUNT"]):
        sign_in(client, worker.email, "wrong password")
    forger = app.test_client()
    forger.set_cookie("heat_device", '{"anything":"x"}.forged-signature')
    assert sign_in(forger, worker.email).status_code == 429


def test_unknown_wrong_and_deactivated_accounts_cost_the_same_hashing(app, make, monkeypatch):
    """One argon2 verification for every attempt: timing does not tell which accounts exist."""
    calls = []
    real = accounts.verify_password
    monkeypatch.setattr(accounts, "verify_password", lambda h, p: calls.append(1) or real(h, p))
    team = make.team()
    active, gone = make.user("practitioner", team), make.user("practitioner", team, active=False)
    for email, password in [
        ("nobody@example.org", PASSWORD),
        (active.email, "wrong password"),
        (gone.email, PASSWORD),
        (active.email, PASSWORD),
    ]:
        calls.clear()
        sign_in(app.test_client(), email, password)
        assert calls == [1], email


def test_the_sign_in_page_says_sign_in_to_continue_once_however_many_pages_found_the_session_gone(app):
    client = app.test_client()
    for path in ("/caseload", "/dashboard", "/caseload"):  # a page and a tablet's background refreshes
        assert client.get(path).status_code == 302
    page = helpers.page(client.get("/sign-in").get_data(as_text=True))
    said = [h.get_text(strip=True) for h in page.select(".govuk-notification-banner__heading")]
    assert said == ["Sign in to continue."]


def test_after_a_time_out_the_sign_in_page_says_why_once_and_nothing_else(app, make, signed_in, monkeypatch):
    import time as real_time

    client = signed_in(make.user("practitioner", make.team()))
    later = real_time.time() + 31 * 60
    monkeypatch.setattr("heat.security.time.time", lambda: later)
    for path in ("/caseload", "/caseload"):
        assert client.get(path).status_code == 302
    html = client.get("/sign-in").get_data(as_text=True)
    assert html.count("You were signed out because the app was not used for 30 minutes") == 1
    assert "Sign in to continue." not in html


class _WatchedHasher(PasswordHasher):
    """The tests' cheap argon2, noting whether a database transaction was open at each check."""

    def __init__(self):
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.open_transactions: list[bool] = []

    def verify(self, hash, password):
        self.open_transactions.append(db.session().in_transaction())
        return super().verify(hash, password)


@pytest.mark.parametrize("password", [PASSWORD, "not the password at all"])
def test_the_password_check_runs_outside_any_transaction(app, make, password):
    """argon2 is slow by design: checked inside a transaction, it held SQLite's write lock (a
    sign-in is a POST, begun IMMEDIATE) and 30 practitioners signing in at once got "database
    is locked". The attempt is still audited, once."""
    user = make.user("practitioner", make.team())
    watched = _WatchedHasher()
    passwords.configure(watched)
    try:
        response = sign_in(app.test_client(), user.email, password)
    finally:
        passwords.configure(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    assert response.status_code == (302 if password == PASSWORD else 200)
    assert watched.open_transactions == [False]
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.email_tried == user.email)))
    assert actions == (["sign_in"] if password == PASSWORD else ["sign_in_failed"])
