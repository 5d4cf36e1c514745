"""Deployment settings that protect everyone: HTTPS in production, and the client's real address
behind trusted reverse proxies (HEAT_PROXY_HOPS), for throttling and the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from heat.extensions import db
from heat.models import AuditEvent
from tests.conftest import sign_in


def test_production_refuses_to_start_without_https(another_app):
    with pytest.raises(RuntimeError, match="HEAT_HTTPS=1 must be set"):
        another_app(HEAT_ENV="production", HEAT_HTTPS=False, SECRET_KEY="s" * 32)
    assert another_app(HEAT_ENV="production", HEAT_HTTPS=True, SECRET_KEY="s" * 32).config["HEAT_ENV"] == "production"


def addresses(application, action: str) -> list[str]:
    with application.app_context():
        return list(
            db.session.scalars(select(AuditEvent.address).where(AuditEvent.action == action).order_by(AuditEvent.id))
        )


@pytest.mark.parametrize(
    "hops, forwarded, seen",
    [
        (0, "203.0.113.9", "127.0.0.1"),  # no proxy trusted: the header is anyone's to write
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # only the hop our proxy added
        (2, "198.51.100.1, 203.0.113.9", "198.51.100.1"),
    ],
)
def test_the_audit_trail_records_the_address_the_trusted_proxies_give(another_app, make, hops, forwarded, seen):
    application = another_app(HEAT_PROXY_HOPS=hops)
    user = make.user("practitioner", make.team())
    client = application.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded
    assert sign_in(client, user.email).status_code == 302
    assert addresses(application, "sign_in") == [seen]


def test_failures_from_one_address_behind_the_proxy_do_not_lock_out_another(another_app, make):
    """Before HEAT_PROXY_HOPS every request had the proxy's address, so 20 bad passwords from
    anyone refused every user's sign-in."""
    application = another_app(HEAT_PROXY_HOPS=1)
    team = make.team()
    victim, attacker_target = make.user("practitioner", team), make.user("practitioner", team)
    attacker = application.test_client()
    attacker.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.66"
    for n in range(application.config["HEAT_LOGIN_FAILURES_PER_ADDRESS"]):
        sign_in(attacker, f"nobody-{n}@example.org", "wrong password")
    assert sign_in(attacker, attacker_target.email).status_code == 429  # that address is throttled
    colleague = application.test_client()
    colleague.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.20"
    assert sign_in(colleague, victim.email).status_code == 302
    assert addresses(application, "sign_in") == ["203.0.113.20"]


def test_pdf_downloads_are_limited_per_user_per_minute(another_app, make):
    application = another_app(HEAT_PDF_PER_MINUTE=2)
    team = make.team()
    worker, colleague = make.user("practitioner", team), make.user("practitioner", team)
    child = make.child(team)
    client = application.test_client()
    assert sign_in(client, worker.email).status_code == 302
    for _ in range(2):
        assert client.get(f"/children/{child.id}/history.pdf").status_code == 200
    refused = client.get(f"/children/{child.id}/history.pdf")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert "Wait a minute and try again" in refused.get_data(as_text=True)
    other = application.test_client()  # the limit is per user: a colleague is not held up
    assert sign_in(other, colleague.email).status_code == 302
    assert other.get(f"/children/{child.id}/history.pdf").status_code == 200
    assert addresses(application, "pdf_limit_reached") == ["127.0.0.1"]


def test_a_database_in_a_shared_folder_never_locks_others_out_of_it(tmp_path):
    """A SQLite file in /tmp (sticky and world-writable) must not turn /tmp into 0700."""
    import stat

    from heat.files import private_folder

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    private_folder(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    own = tmp_path / "own"
    own.mkdir(mode=0o755)
    private_folder(own)
    assert stat.S_IMODE(own.stat().st_mode) == 0o700
    private_folder(tmp_path / "new" / "deeper")
    assert stat.S_IMODE((tmp_path / "new" / "deeper").stat().st_mode) == 0o700
