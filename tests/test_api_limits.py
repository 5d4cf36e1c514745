"""Issue 22 item 7: the API's limits hold under concurrency (real threads against the real
database: SQLite, or PostgreSQL with HEAT_TEST_ON_POSTGRES=1), counting never fails a request
with "database is locked", and calls without a valid token are throttled per address and audited
once a minute per address, with a count."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from heat.extensions import db
from heat.models import AuditEvent
from heat.services import api_auth
from tests.test_cli_and_admin import run

THREADS = 16


def new_token(app, email: str) -> str:
    return run(app, "api-tokens", "create", "--email", email, "--name", "Case system").output.strip().split()[-1]


def hammer(app, headers: dict, calls_each: int) -> list[tuple[int, str]]:
    """THREADS clients call the API at once; every (status, content type)."""
    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, str]] = []

    def call():
        client = app.test_client()
        barrier.wait()
        for _ in range(calls_each):
            response = client.get("/api/v1/children", headers=headers)
            results.append((response.status_code, response.mimetype))

    threads = [threading.Thread(target=call) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.fixture
def limited(another_app):
    return another_app(HEAT_API_PER_MINUTE=20)


def test_the_per_token_limit_holds_under_concurrent_calls_and_never_fails_a_call(limited, make):
    user = make.user("supervisor", make.team())
    token = new_token(limited, user.email)
    results = hammer(limited, {"Authorization": f"Bearer {token}"}, 4)
    statuses = [status for status, _ in results]
    assert len(statuses) == THREADS * 4
    assert statuses.count(200) == 20, statuses
    assert set(statuses) == {200, 429}, statuses  # never a 500 ("database is locked")
    assert all(mimetype == "application/problem+json" for status, mimetype in results if status == 429)


def test_calls_with_bogus_tokens_are_throttled_per_address_and_audited_once_a_minute(app):
    results = hammer(app, {"Authorization": "Bearer heat_not-a-real-token"}, 2)
    statuses = [status for status, _ in results]
    assert statuses.count(401) == api_auth.BAD_TOKENS_PER_MINUTE, statuses
    assert statuses.count(429) == THREADS * 2 - api_auth.BAD_TOKENS_PER_MINUTE
    assert all(mimetype == "application/problem+json" for _, mimetype in results)
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "api_unauthorized")))
    assert len(rows) == 1 and rows[0].address == "127.0.0.1"

    # The next minute: one more row, with the count of the minute before.
    later = api_auth.utcnow() + dt.timedelta(minutes=1, seconds=1)
    with app.test_request_context("/api/v1/children", environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        assert api_auth.refuse_unauthorized("127.0.0.1", "GET /api/v1/children", now=later) is None
    with app.app_context():
        details = list(
            db.session.scalars(
                select(AuditEvent.detail).where(AuditEvent.action == "api_unauthorized").order_by(AuditEvent.id)
            )
        )
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 2
    assert details[-1].endswith(f"{THREADS * 2} calls without a valid token in its last minute with any")
