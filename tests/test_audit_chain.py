"""The audit trail holds up in a review: the database refuses to change or delete its rows, each
row's hash is chained to the one before, and `flask audit verify` names the first row that does
not hold. Runs on SQLite and, with HEAT_TEST_ON_POSTGRES=1, on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from heat.extensions import db
from heat.models import AuditEvent
from tests.conftest import audit_triggers_off, csrf_token


def verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def some_activity(make, signed_in):
    """Sign-in, page views and a change, as a practitioner's morning makes them."""
    team = make.team()
    worker = make.user("practitioner", team)
    child = make.child(team)
    client = signed_in(worker)
    assert client.get("/caseload").status_code == 200
    assert client.get(f"/children/{child.id}").status_code == 200
    token = csrf_token(client, f"/children/{child.id}")
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    return worker


def audit_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))


def test_a_normal_day_verifies_and_sign_out_is_recorded(app, make, signed_in):
    worker = some_activity(make, signed_in)
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        signed_out = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sign_out"))
        assert signed_out is not None and signed_out.user_id == worker.id
    assert actions[0] == "sign_in" and actions[-1] == "sign_out" and "child_viewed" in actions
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert f"Audit trail intact: {len(actions)} rows" in result.output


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET detail = 'nothing to see' WHERE id = :id",
        "UPDATE audit_events SET row_hash = '0' WHERE id = :id",
        "DELETE FROM audit_events WHERE id = :id",
        "DELETE FROM audit_events",
    ],
)
def test_the_database_refuses_to_change_or_delete_audit_rows(app, make, signed_in, statement):
    some_activity(make, signed_in)
    before = audit_ids(app)
    first = before[0]
    with app.app_context(), pytest.raises(DBAPIError, match="append-only"):
        with db.engine.begin() as conn:
            conn.execute(text(statement), {"id": first})
    assert audit_ids(app) == before
    assert verify(app).exit_code == 0


def test_truncate_is_refused_on_postgresql(app, make, signed_in):
    some_activity(make, signed_in)
    before = audit_ids(app)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return  # SQLite has no TRUNCATE: its DELETE without WHERE is refused above
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_events CASCADE"))
    assert audit_ids(app) == before


def tamper(app, statement: str, row_id: int) -> None:
    """What someone with the database owner's rights could do: triggers off, a row changed."""
    with app.app_context(), db.engine.begin() as conn, audit_triggers_off(conn):
        conn.execute(text(statement), {"id": row_id})


def test_a_changed_row_is_found_and_named(app, make, signed_in):
    some_activity(make, signed_in)
    ids = audit_ids(app)
    tamper(app, "UPDATE audit_events SET action = 'export_downloaded' WHERE id = :id", ids[2])
    result = verify(app)
    assert result.exit_code == 1
    assert f"Audit trail broken at row {ids[2]}" in result.output


def test_a_deleted_row_is_found_at_the_row_after_it(app, make, signed_in):
    some_activity(make, signed_in)
    ids = audit_ids(app)
    tamper(app, "DELETE FROM audit_events WHERE id = :id", ids[1])
    result = verify(app)
    assert result.exit_code == 1
    assert f"Audit trail broken at row {ids[2]}" in result.output


def test_a_rehashed_row_breaks_the_row_after_it(app, make, signed_in):
    """Changing a row and writing a fresh hash for it still breaks the chain at the next row."""
    some_activity(make, signed_in)
    ids = audit_ids(app)
    with app.app_context():
        from heat.services.audit import HASHED, row_hash

        rows = db.session.execute(select(AuditEvent.__table__).order_by(AuditEvent.id)).all()
        forged = {**rows[1]._mapping, "detail": "forged"}
        new_hash = row_hash(rows[0].row_hash, {k: forged[k] for k in (*HASHED, "scheme")})
    with app.app_context(), db.engine.begin() as conn, audit_triggers_off(conn):
        conn.execute(
            text("UPDATE audit_events SET detail = 'forged', row_hash = :h WHERE id = :id"),
            {"h": new_hash, "id": ids[1]},
        )
    result = verify(app)
    assert result.exit_code == 1
    assert f"Audit trail broken at row {ids[2]}" in result.output


def test_rows_written_by_two_apps_at_once_form_one_chain(app, make, another_app):
    """Two processes' writers (here two apps, each its own engine) interleave; the chain holds."""
    import threading

    from heat.database import writing
    from heat.services import audit

    other = another_app()
    user = make.user("practitioner")

    def write(application, n):
        for _ in range(n):
            # As jobs and commands do: a write transaction from the start (IMMEDIATE on SQLite).
            with application.app_context(), writing():
                audit.record("caseload_viewed", user=user)
                db.session.commit()

    threads = [threading.Thread(target=write, args=(a, 15)) for a in (app, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(audit_ids(app)) == 30
    result = verify(app)
    assert result.exit_code == 0, result.output


def reforge(app, key: bytes | None, scheme: int | None):
    """What someone who can write the database does: triggers off, a row rewritten, and every
    hash recomputed in order with the app's own hash function (with a key of their own, or as
    the plain SHA-256 rows written before the key)."""
    from heat.services.audit import GENESIS, HASHED, row_hash

    with app.app_context(), db.engine.begin() as conn, audit_triggers_off(conn):
        rows = [dict(r._mapping) for r in conn.execute(select(AuditEvent.__table__).order_by(AuditEvent.id))]
        rows[1]["detail"] = "forged"
        previous = GENESIS
        for row in rows:
            if scheme is not None:
                row["scheme"] = scheme
            values = {k: row[k] for k in (*HASHED, "scheme")}
            previous = row_hash(previous, values, key) if key else row_hash(previous, values)
            conn.execute(
                text("UPDATE audit_events SET detail = :d, scheme = :s, row_hash = :h WHERE id = :id"),
                {"d": row["detail"], "s": row["scheme"], "h": previous, "id": row["id"]},
            )


@pytest.mark.parametrize(("key", "scheme"), [(None, 1), (b"a key of the forger's own", None)])
def test_a_trail_rehashed_throughout_without_the_audit_key_does_not_verify(app, make, signed_in, key, scheme):
    """Issue 22 item 5: rows rewritten and every hash recomputed used to verify as intact."""
    some_activity(make, signed_in)
    reforge(app, key, scheme)
    result = verify(app)
    assert result.exit_code == 1 and "Audit trail broken" in result.output, result.output


def test_the_chain_is_keyed_with_the_audit_key(app, make, signed_in, another_app):
    some_activity(make, signed_in)
    assert verify(app).exit_code == 0
    with app.app_context():
        assert set(db.session.scalars(select(AuditEvent.scheme))) == {2}
    # The same database under another key does not verify: the key is not in the database.
    other = another_app(HEAT_AUDIT_KEY="another key altogether")
    assert other.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 1


def test_insert_or_replace_cannot_replace_an_audit_row(app, make, signed_in):
    some_activity(make, signed_in)
    first = audit_ids(app)[0]
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return  # PostgreSQL's INSERT ... ON CONFLICT DO UPDATE fires the no-update trigger
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT OR REPLACE INTO audit_events (id, at, action, row_hash, scheme) "
                    "VALUES (:id, '2026-01-01 00:00:00', 'nothing', :h, 2)"
                ),
                {"id": first, "h": "0" * 64},
            )
        with db.engine.connect() as conn:
            assert (
                conn.execute(text("SELECT action FROM audit_events WHERE id = :id"), {"id": first}).scalar()
                == "sign_in"
            )
    assert verify(app).exit_code == 0


def test_a_checkpoint_signs_the_head_and_verify_since_checks_the_trail_reaches_it(app, make, signed_in, caplog):
    some_activity(make, signed_in)
    runner = app.test_cli_runner()
    with caplog.at_level("INFO"):
        made = runner.invoke(args=["audit", "checkpoint"])
    assert made.exit_code == 0, made.output
    mark = made.output.strip()
    row_id, hashed, mac = mark.split(":")
    assert int(row_id) == audit_ids(app)[-1] and len(hashed) == 64 and len(mac) == 64
    assert mark in caplog.text
    some_activity(make, signed_in)  # the trail goes on
    assert runner.invoke(args=["audit", "verify", "--since", mark]).exit_code == 0

    # A checkpoint changed by hand (here: another row id) is not one the app signed.
    changed = f"{int(row_id) - 1}:{hashed}:{mac}"
    refused = runner.invoke(args=["audit", "verify", "--since", changed])
    assert refused.exit_code == 1 and "not one this app signed" in refused.output

    # Rewritten as plain SHA-256 throughout, the trail no longer reaches the checkpoint.
    reforge(app, None, 1)
    result = runner.invoke(args=["audit", "verify", "--since", mark])
    assert result.exit_code == 1 and "Audit trail broken" in result.output
