"""Readiness, for the load balancer: can this instance serve pages now? The database answers, its
schema is at the newest migration, and the export queue answers when one is configured. Each
check gives "ok" or the reason it failed (the driver's first line, never a statement or data).
Nothing here writes, and nothing needs a session."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic.script import ScriptDirectory
from huey.storage import MemoryStorage
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from heat import database
from heat.extensions import db, huey
from heat.tasks import QUEUE_UNAVAILABLE

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
OK = "ok"


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, str]

    @property
    def ready(self) -> bool:
        return all(result == OK for result in self.checks.values())

    @property
    def reason(self) -> str | None:
        failed = [f"{name}: {result}" for name, result in self.checks.items() if result != OK]
        return "; ".join(failed) or None


@cache
def migration_heads() -> frozenset[str]:
    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def _database_and_migrations() -> tuple[str, str]:
    try:
        with db.engine.connect() as connection:
            applied = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except database.UNAVAILABLE as error:
        if "alembic_version" in str(error):  # SQLite: the table is missing, the file is there
            return OK, "no migrations applied: run `flask db upgrade`"
        return f"not reachable ({database.reason(error)})", "not checked"
    except SQLAlchemyError as error:  # PostgreSQL: the table is missing
        return OK, f"no migrations applied ({database.reason(error)}): run `flask db upgrade`"
    heads = migration_heads()
    if applied != heads:
        return OK, f"at {', '.join(sorted(applied)) or 'none'}, not {', '.join(sorted(heads))}: run `flask db upgrade`"
    return OK, OK


def _queue() -> str | None:
    """None when there is no separate queue (tests run tasks at once)."""
    if huey.storage_class is MemoryStorage:
        return None
    try:
        huey.pending_count()
    except QUEUE_UNAVAILABLE as error:
        return f"not reachable ({database.reason(error)})"
    return OK


def readiness() -> Readiness:
    data, migrations = _database_and_migrations()
    checks = {"database": data, "migrations": migrations}
    queue = _queue()
    if queue is not None:
        checks["queue"] = queue
    return Readiness(checks)


def queue_depth() -> int:
    """Tasks waiting in the export queue; -1 when it cannot be reached (the metric says so)."""
    try:
        return huey.pending_count()
    except QUEUE_UNAVAILABLE:
        return -1
