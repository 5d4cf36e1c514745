"""Backup, verify and restore on the database under test (SQLite, or PostgreSQL with
HEAT_TEST_ON_POSTGRES=1): the restored data is identical and its audit chain verifies."""

from __future__ import annotations

import datetime as dt
import sqlite3
import stat
import uuid

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from heat.extensions import db
from tests.test_oversight import submitted_visit


def everything(application) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    with application.app_context():
        return {
            table.name: [tuple(row) for row in db.session.execute(select(table).order_by(*table.primary_key.columns))]
            for table in db.metadata.sorted_tables
        }


def cli(application, *args: str):
    return application.test_cli_runner().invoke(args=list(args))


@pytest.fixture
def empty_database(app, tmp_path):
    """The URL of a new, empty database of the same kind as the one under test."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"heat_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_backup_verify_and_restore_round_trip(app, team_world, another_app, tmp_path, empty_database):
    submitted_visit(app, team_world["w"], team_world["child"].id, dt.date.today())
    path = tmp_path / "backups" / "heat.backup"
    made = cli(app, "backup", "create", str(path))
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = everything(app)  # as backed up (the backup's own audit row included)

    checked = cli(app, "backup", "verify", str(path))
    assert checked.exit_code == 0, checked.output
    assert f"Backup is sound: {len(before['audit_events'])} audit rows" in checked.output

    restored = another_app(SQLALCHEMY_DATABASE_URI=empty_database)
    result = cli(restored, "backup", "restore", str(path))
    assert result.exit_code == 0, result.output
    after = everything(restored)
    for table, rows in before.items():
        if table == "audit_events":
            assert after[table][: len(rows)] == rows
            assert len(after[table]) == len(rows) + 1  # the restore is recorded, chained on
        else:
            assert after[table] == rows, table
    assert cli(restored, "audit", "verify").exit_code == 0
    assert restored.test_client().get("/sign-in").status_code == 200


def test_restore_only_into_an_empty_database(app, team_world, tmp_path):
    path = tmp_path / "heat.backup"
    assert cli(app, "backup", "create", str(path)).exit_code == 0
    result = cli(app, "backup", "restore", str(path))
    assert result.exit_code != 0 and "the database is not empty" in result.output
    assert cli(app, "backup", "create", str(path)).exit_code != 0  # never overwrites a backup


def test_a_tampered_backup_fails_verification(app, team_world, tmp_path):
    path = tmp_path / "heat.backup"
    assert cli(app, "backup", "create", str(path)).exit_code == 0
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A custom-format dump is compressed: changing a row means restoring, editing and dumping
        # again, which the chain catches the same way. Here: a damaged archive is refused.
        path.write_bytes(path.read_bytes()[:200])
        assert cli(app, "backup", "verify", str(path)).exit_code != 0
        return
    with sqlite3.connect(path) as copy:
        for (name,) in copy.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            copy.execute(f"DROP TRIGGER {name}")
        first = copy.execute("SELECT min(id) FROM audit_events").fetchone()[0]
        copy.execute("UPDATE audit_events SET detail = 'nothing happened' WHERE id = ?", (first,))
    result = cli(app, "backup", "verify", str(path))
    assert result.exit_code == 1 and f"broken at row {first}" in result.output
