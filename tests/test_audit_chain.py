"""The audit trail holds up in a review: the database refuses to change or delete its rows, each
row's hash is chained to the one before by the sealer after the row commits, and `flask audit
verify` names the first row that does not hold and says how many wait to be sealed. Runs on SQLite
and, with HEAT_TEST_ON_POSTGRES=1, on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from heat.extensions import db
from heat.models import AuditEvent
from tests.conftest import audit_triggers_off, csrf_token


def verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def seal(app):
    """What the worker does every minute."""
    result = app.test_cli_runner().invoke(args=["audit", "seal"])
    assert result.exit_code == 0, result.output
    return result


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
    seal(client.application)
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
    seal(app)
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


def test_verify_says_how_many_rows_wait_to_be_sealed(app, make, signed_in):
    """A request only appends its row; the sealer (the worker, or `flask audit seal`) chains it."""
    client = signed_in(make.user("practitioner"))
    assert client.get("/caseload").status_code == 200
    rows = len(audit_ids(app))
    with app.app_context():
        assert set(db.session.scalars(select(AuditEvent.row_hash))) == {None}
    before = verify(app)
    assert before.exit_code == 0, before.output
    assert f"Audit trail intact: 0 rows, every hash holds; {rows} more wait to be sealed" in before.output
    assert f"Sealed {rows} audit rows." in seal(app).output
    after = verify(app)
    assert f"Audit trail intact: {rows} rows, every hash holds; 0 more wait to be sealed" in after.output
    assert "Sealed 0 audit rows." in seal(app).output  # nothing is sealed twice


def test_a_page_view_does_not_wait_for_the_chain_lock(app, make, signed_in):
    """The lock every view, save and submit used to take and hold to commit is the sealer's alone
    now: a page view completes while another connection holds it (PostgreSQL), or while a long
    read of the trail (`flask audit verify`) is open (SQLite, where a reader never holds the write
    lock)."""
    import threading

    from heat.services.audit import _CHAIN_LOCK

    client = signed_in(make.user("practitioner"))
    answers: list[int] = []
    view = threading.Thread(target=lambda: answers.append(client.get("/caseload").status_code))
    with app.app_context(), db.engine.connect() as holder:
        if holder.dialect.name == "postgresql":
            holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _CHAIN_LOCK})
        else:  # a read transaction (BEGIN, then a read), as a long verify holds
            holder.execute(select(AuditEvent.id)).all()
        view.start()
        view.join(timeout=10)
        completed_while_held = not view.is_alive()
        if holder.dialect.name == "postgresql":
            holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _CHAIN_LOCK})
        holder.rollback()
    view.join()
    assert completed_while_held and answers == [200]
    with app.app_context():
        viewed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "caseload_viewed"))
        assert viewed is not None and viewed.row_hash is None  # appended; the sealer hashes it


def test_a_row_committed_after_a_later_row_is_sealed_once_and_verifies(app, make, another_app):
    """Two real concurrent transactions: the first takes the lower id and commits last. On
    PostgreSQL the other commits and is sealed in between; the slow row takes the next place once
    it has committed. (On SQLite the second waits for the first's write lock, so rows commit in id
    order there; the same steps must hold.)"""
    import threading

    from heat.database import writing
    from heat.models import utcnow
    from heat.services import audit

    user = make.user("practitioner")
    other = another_app()

    def fast():
        with other.app_context():
            with writing():
                audit.record("caseload_viewed", user=user)
                db.session.commit()
            audit.seal()

    with app.app_context(), db.engine.connect() as slow:
        postgres = slow.dialect.name == "postgresql"
        with slow.begin():
            slow.execute(
                AuditEvent.__table__.insert().values(at=utcnow(), action="child_viewed", user_id=user.id, scheme=2)
            )
            writer = threading.Thread(target=fast)
            writer.start()
            if postgres:  # the fast transaction commits, and is sealed, while this one is open
                writer.join()
                waiting_meanwhile = audit.waiting()
                db.session.remove()
        writer.join()
    seal(app)
    with app.app_context():
        rows = db.session.execute(select(AuditEvent.id, AuditEvent.chain_seq).order_by(AuditEvent.id)).all()
    assert len(rows) == 2 and all(r.chain_seq is not None for r in rows)
    slow_row, fast_row = rows
    if postgres:
        assert waiting_meanwhile == 0 and slow_row.chain_seq == fast_row.chain_seq + 1  # commit order
    assert verify(app).exit_code == 0


def test_writers_and_sealers_at_once_seal_every_row_exactly_once(app, make, another_app):
    """Two apps (two engines, as two processes have) each append rows and run the sealer at the
    same time: every row gets one place, the places run 1..n without a gap, and the chain holds."""
    import threading

    from heat.database import writing
    from heat.services import audit

    user = make.user("practitioner")
    apps = [app, another_app()]
    errors: list[BaseException] = []

    def work(application, n):
        try:
            for i in range(n):
                with application.app_context():
                    with writing():
                        audit.record("caseload_viewed", user=user)
                        db.session.commit()
                    if i % 3 == 0:
                        audit.seal(batch=4)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(a, 24)) for a in apps for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seal(app)
    with app.app_context():
        places = sorted(db.session.scalars(select(AuditEvent.chain_seq)))
    assert places == list(range(1, 97))
    result = verify(app)
    assert result.exit_code == 0 and "Audit trail intact: 96 rows" in result.output, result.output


def test_a_row_changed_after_sealing_out_of_id_order_is_found(app, make, another_app):
    """Tampering is found whatever order rows were sealed in."""
    test_a_row_committed_after_a_later_row_is_sealed_once_and_verifies(app, make, another_app)
    first = audit_ids(app)[0]
    tamper(app, "UPDATE audit_events SET detail = 'nothing to see' WHERE id = :id", first)
    result = verify(app)
    assert result.exit_code == 1 and f"Audit trail broken at row {first}" in result.output
