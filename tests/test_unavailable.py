"""When the database is down or locked, every page (sign-in included) is the designed 503 "HEAT is
not available at the moment", with the request id and the security headers, and never touches the
database to render; the next request after the database is back works, with no restart. A
database file HEAT cannot write is said plainly at start-up, which carries on."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import make_url

from heat import database
from tests import helpers
from tests.conftest import sign_in

HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


@pytest.fixture
def outage(app, settings, another_app, postgres_outage, monkeypatch):
    """(app, down): an app whose database `down()` takes away for the length of a `with` block.
    PostgreSQL: the server stops answering (a relay switched off). SQLite: another connection
    holds an exclusive transaction on the file for the block's duration."""
    if postgres_outage is not None:
        yield postgres_outage
        return
    url = make_url(settings["SQLALCHEMY_DATABASE_URI"])

    # Wait a fifth of a second for the lock, not ten: the test is about the page, not the wait.
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 200)
    served = another_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @contextmanager
    def locked() -> Iterator[None]:
        # In WAL mode an exclusive transaction holds the write lock (readers still read), as a
        # long import or another process stuck mid-write would: every page writes its audit row.
        holder = sqlite3.connect(url.database, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        yield
        holder.execute("ROLLBACK")
        holder.close()

    yield served, locked


def assert_unavailable(response) -> None:
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert helpers.text_of(html, "h1") == "HEAT is not available at the moment"
    reference = helpers.text_of(html, ".heat-reference")
    assert reference == response.headers["X-Request-Id"] and len(reference) == 16
    assert "Sign out" not in html  # nobody shown as signed in: the page never loaded the user
    for header in HEADERS:
        assert header in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Retry-After"] == "30"


@pytest.mark.assets
def test_every_page_says_heat_is_not_available_while_the_database_is_down_and_works_when_back(outage, make, caplog):
    served, down = outage
    team = make.team()
    worker = make.user("practitioner", team)
    signed_in, stranger = served.test_client(), served.test_client()
    assert sign_in(signed_in, worker.email).status_code == 302
    token = helpers.field_value(stranger.get("/sign-in").get_data(as_text=True), "csrf_token")
    caplog.set_level(logging.ERROR)
    with down():
        for response in (
            signed_in.get("/caseload"),
            stranger.post("/sign-in", data={"csrf_token": token, "email": worker.email, "password": "x" * 12}),
            signed_in.get("/children/1"),
        ):
            assert_unavailable(response)
        api = served.test_client().get("/api/v1/children", headers={"Authorization": "Bearer heat_x"})
        assert api.status_code == 503 and api.mimetype == "application/problem+json"
    logged = [r.getMessage() for r in caplog.records if "HEAT is not available" in r.getMessage()]
    assert len(logged) == 4 and all("SELECT" not in line for line in logged)
    assert response.headers["X-Request-Id"] in logged[2]
    # Back: the very next request works, in the same app (no restart).
    assert signed_in.get("/caseload").status_code == 200
    assert sign_in(served.test_client(), worker.email).status_code == 302


@pytest.mark.assets
def test_a_not_found_page_never_loads_the_user(outage, make):
    served, down = outage
    client = served.test_client()
    assert sign_in(client, make.user("practitioner", make.team()).email).status_code == 302
    with down():
        response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in helpers.text_of(response.get_data(as_text=True), "h1")


@pytest.mark.assets
def test_a_database_folder_heat_cannot_make_is_said_plainly_and_pages_say_not_available(
    another_app, tmp_path, make, caplog
):
    """Before, create_app raised and every gunicorn worker failed to boot: the server exited."""
    (tmp_path / "not-a-folder").write_text("")  # even root cannot make a folder inside a file
    path = tmp_path / "not-a-folder" / "instance" / "heat.db"
    caplog.set_level(logging.ERROR)
    served = another_app(TESTING=False, PROPAGATE_EXCEPTIONS=False, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    assert any(f"HEAT cannot use its database file {path}" in r.getMessage() for r in caplog.records)
    client = served.test_client()
    sign_in_page = client.get("/sign-in")  # what needs no database is still served
    assert sign_in_page.status_code == 200
    token = helpers.field_value(sign_in_page.get_data(as_text=True), "csrf_token")
    assert_unavailable(client.post("/sign-in", data={"csrf_token": token, "email": "a@example.org", "password": "x"}))
