"""The database under the app: SQLite settings, concurrent writers, and migrations on both engines."""

from __future__ import annotations

import ast
import multiprocessing
import warnings
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import event, func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from heat.database import writing
from heat.extensions import db
from heat.models import AuditEvent

WRITERS, WRITES_EACH = 4, 25


def test_sqlite_runs_in_wal_mode_with_busy_timeout_and_foreign_keys(another_app, tmp_path):
    sqlite_app = another_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'pragmas.db'}")
    with sqlite_app.app_context():
        connection = db.session.connection()
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def _writer(settings: dict, worker: int, results) -> None:
    from argon2 import PasswordHasher

    from app import create_app
    from heat.services import audit, passwords

    passwords.configure(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    app = create_app(settings)
    errors = 0
    with app.app_context():
        for n in range(WRITES_EACH):
            try:
                with writing():
                    # Read, then write, in one transaction: the pattern that hits SQLITE_BUSY when deferred.
                    seen = db.session.scalar(select(func.count()).select_from(AuditEvent))
                    audit.record("load_test", detail=f"worker {worker} write {n} saw {seen}")
                    db.session.commit()
            except Exception as exc:  # counted, and reported below
                db.session.rollback()
                errors += 1
                results.put(repr(exc))
    results.put(errors)


def test_concurrent_writer_processes_never_hit_database_busy(app, settings):
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [context.Process(target=_writer, args=(settings, w, results)) for w in range(WRITERS)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=120)
    outcomes = [results.get(timeout=5) for _ in range(WRITERS)]
    messages = [o for o in outcomes if isinstance(o, str)]
    assert messages == [] and outcomes == [0] * WRITERS
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "load_test"))
            == WRITERS * WRITES_EACH
        )


def test_migrations_have_one_head(app):
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        assert len(script.get_heads()) == 1


MIGRATIONS = sorted((Path(__file__).resolve().parents[1] / "migrations" / "versions").glob("*.py"))
APPLICATION = {"heat", "forms", "app", "flask", "worker"}


@pytest.mark.parametrize("migration", MIGRATIONS, ids=lambda path: path.stem)
def test_a_migration_never_imports_application_code(migration):
    """Old code stays old: a migration that imported live code would change what it does when that
    code changes. What a migration needs is copied into it, frozen (or, for settings, handed over
    by migrations/env.py)."""
    imported = set()
    for node in ast.walk(ast.parse(migration.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0] if node.level == 0 else ".")
    assert not imported & (APPLICATION | {"."}), f"{migration.name} imports {sorted(imported & (APPLICATION | {'.'}))}"


def test_migrations_downgrade_and_upgrade_and_match_the_models(app):
    with app.app_context():
        downgrade(revision="base")
        db.engine.dispose()
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()
        with db.engine.connect() as connection, warnings.catch_warnings():
            # SQLite's reflection cannot read an index on an expression (upper(reference)); the
            # test below checks that one is there and used.
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert differences == []
        assert "assessments" in inspect(db.engine).get_table_names()


def test_foreign_keys_are_enforced(app, make):
    with app.app_context(), pytest.raises(IntegrityError):
        with writing():
            db.session.execute(text("INSERT INTO households (team_id) VALUES (987654)"))
            db.session.commit()


def test_a_reference_look_up_reads_the_index_not_every_child(app, make):
    """Issue 27: an import matches each batch's references without regard to case; without an index
    on upper(reference) each batch read the whole register, and a 100,000-row import slowed as it
    grew. The look-up the import and the register make is a search of that index."""
    team = make.team()
    for _ in range(3):
        make.child(team)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            plan = " ".join(
                str(row[-1])
                for row in db.session.execute(
                    text("EXPLAIN QUERY PLAN SELECT id FROM children WHERE upper(reference) IN ('AB1', 'AB2')")
                )
            )
        else:  # on a table this small PostgreSQL would rather scan: ask what it can use
            db.session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(
                row[0]
                for row in db.session.execute(
                    text("EXPLAIN SELECT id FROM children WHERE upper(reference) IN ('AB1', 'AB2')")
                )
            )
            db.session.rollback()
        assert "ix_children_reference_upper" in plan


def test_a_page_views_audit_row_is_a_statement_alone_outside_any_transaction(app, make, signed_in):
    """Issue 28: a page view's audit row is one INSERT that is its own transaction (SQLite's
    autocommit), so the write lock is taken, used and let go inside one call into SQLite. As
    BEGIN IMMEDIATE, INSERT and COMMIT, it was held across three calls, each a wait for the GIL
    behind threads rendering pages, while other requests' writes queued for it."""
    team = make.team()
    worker = make.user("practitioner", team)
    child = make.child(team)
    client = signed_in(worker)
    seen = []

    def before(conn, cursor, statement, *args):
        if statement.startswith("INSERT INTO audit_events"):
            driver = conn.connection.driver_connection
            seen.append(driver.in_transaction if conn.dialect.name == "sqlite" else conn.in_transaction())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        assert client.get(f"/children/{child.id}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", before)
    with app.app_context():
        viewed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "child_viewed")).all()
    assert [(row.user_id, row.child_id) for row in viewed] == [(worker.id, child.id)]
    if engine.dialect.name == "sqlite":
        assert seen == [False]  # no transaction open: the INSERT is one
    else:
        assert len(seen) == 1
