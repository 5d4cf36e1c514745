"""Backups: made while the app runs, checked, and restored only into an empty database.

SQLite: the online backup API (a consistent copy even while others write; copying the file of a
database in WAL mode can miss what is still in the write-ahead log). PostgreSQL: `pg_dump` in
custom format, restored with `pg_restore`. `verify` checks the copy's integrity and walks its
audit trail's hash chain.

On a schedule (HEAT_BACKUP_DIR set): the worker asks every minute, and once a day, at or after
HEAT_BACKUP_AT (UTC), a backup is taken, verified and only then given its final name; the oldest
beyond HEAT_BACKUP_KEEP are deleted. A failure is counted in the metrics, logged, and tried again
an hour later.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from heat import metrics
from heat.database import reason, writing
from heat.extensions import db
from heat.files import FILE_MODE, private_folder
from heat.services import audit

log = logging.getLogger("heat")
SCHEDULED = re.compile(r"^heat-(\d{4}-\d{2}-\d{2})T\d{4}Z\.backup$")
RETRY_AFTER = dt.timedelta(hours=1)
_failed_at: dt.datetime | None = None  # this worker's last failed attempt


class BackupError(RuntimeError):
    pass


@dataclass(frozen=True)
class Checked:
    audit_rows: int
    broken: audit.Break | None


def _url():
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _is_sqlite() -> bool:
    return _url().get_backend_name() == "sqlite"


def _libpq_url() -> str:
    """The database URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return _url().set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    folder = os.environ.get("HEAT_PG_BIN")
    found = str(Path(folder) / name) if folder else shutil.which(name)
    if not found:
        raise BackupError(f"{name} was not found: install the PostgreSQL client, or set HEAT_PG_BIN")
    return found


def _run(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {result.stderr.strip()[:500]}")
    return result


def create(path: Path) -> None:
    """A consistent backup of the whole database at `path` (readable by this account only)."""
    if path.exists():
        raise BackupError(f"{path} exists already: choose a new name")
    private_folder(path.parent)
    with writing():
        audit.record("backup_created", detail=path.name[:200])
        db.session.commit()
    audit.seal()  # the copy's chain covers every row committed so far, this one's included
    if _is_sqlite():
        with closing(sqlite3.connect(_url().database)) as source, closing(sqlite3.connect(path)) as copy:
            source.backup(copy)
            # One self-contained file (the database's own WAL mode would leave a -wal and a -shm
            # beside it whenever it is opened).
            copy.execute("PRAGMA journal_mode=DELETE")
        path.chmod(FILE_MODE)
        return
    _run(_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={path}", _libpq_url())
    path.chmod(FILE_MODE)


def verify(path: Path) -> Checked:
    """The backup opens, passes its integrity check, and its audit trail's chain holds."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    if _is_sqlite():
        return _verify_sqlite(path)
    return _verify_dump(path)


def _verify_sqlite(path: Path) -> Checked:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as copy:
            (result,) = copy.execute("PRAGMA integrity_check").fetchone()
            if result != "ok":
                raise BackupError(f"the backup fails SQLite's integrity check: {result}")
            names = ["id", "chain_seq", "row_hash", "scheme", *audit.HASHED]
            rows = copy.execute(
                f"SELECT {', '.join(names)} FROM audit_events WHERE chain_seq IS NOT NULL ORDER BY chain_seq"
            )
            return _walk(dict(zip(names, row, strict=True)) for row in rows)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"the backup is not a readable SQLite database: {exc}") from None


_COPY = re.compile(r"^COPY public\.audit_events \((?P<columns>[^)]*)\) FROM stdin;$")


def _verify_dump(path: Path) -> Checked:
    """pg_restore reads the archive (so it is whole), and prints the audit rows as COPY text."""
    _run(_tool("pg_restore"), "--list", str(path))
    text = _run(_tool("pg_restore"), "--data-only", "--table=audit_events", "--file=-", str(path)).stdout
    lines = iter(text.splitlines())
    columns: list[str] = []
    for line in lines:
        match = _COPY.match(line)
        if match:
            columns = [c.strip() for c in match.group("columns").split(",")]
            break
    rows: list[dict[str, Any]] = []
    for line in lines:
        if line == "\\.":
            break
        values = [_copy_value(v) for v in line.split("\t")]
        rows.append(dict(zip(columns, values, strict=True)))
    for row in rows:
        row["id"] = int(row["id"])
        row["scheme"] = int(row.get("scheme") or 1)
        row["at"] = dt.datetime.fromisoformat(row["at"])
        for name in ("user_id", "child_id", "assessment_id", "target_user_id"):
            row[name] = int(row[name]) if row[name] is not None else None
    # The sealed rows, in chain order (services/audit.py); those waiting to be sealed are not chained yet.
    sealed = [row for row in rows if row.get("chain_seq") is not None]
    return _walk(sorted(sealed, key=lambda r: int(r["chain_seq"])))


def _copy_value(value: str) -> str | None:
    if value == "\\N":
        return None
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}.get(m.group(1), m.group(1)), value)


def _walk(rows: Iterable[dict[str, Any]]) -> Checked:
    def typed(row: dict[str, Any]) -> dict[str, Any]:
        if isinstance(row["at"], str):  # SQLite keeps times as text
            row["at"] = dt.datetime.fromisoformat(row["at"])
        return row

    count, broken = audit.walk(typed(row) for row in rows)
    return Checked(count, broken)


def restore(path: Path) -> None:
    """Restore a backup into this app's database, which must be empty (no tables at all)."""
    verified = verify(path)
    if verified.broken is not None:
        raise BackupError(f"the backup's audit trail is broken at row {verified.broken.row_id}: not restored")
    if inspect(db.engine).get_table_names():
        raise BackupError("the database is not empty: restore only into a new, empty database")
    db.session.remove()
    db.engine.dispose()
    if _is_sqlite():
        target = Path(_url().database)
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        target.chmod(FILE_MODE)
    else:
        _run(_tool("pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={_libpq_url()}", str(path))
    with writing():
        audit.record("backup_restored", detail=path.name[:200])
        db.session.commit()


def scheduled_name(now: dt.datetime) -> str:
    return f"heat-{now:%Y-%m-%dT%H%M}Z.backup"


def due(now: dt.datetime, at: dt.time, taken: Iterable[str], failed_at: dt.datetime | None) -> bool:
    """Today's backup is due from `at` until one is taken, never within RETRY_AFTER of a failure."""
    if now.time() < at:
        return False
    today = now.date().isoformat()
    if any((match := SCHEDULED.match(name)) and match.group(1) == today for name in taken):
        return False
    return failed_at is None or now - failed_at >= RETRY_AFTER


def oldest_beyond(taken: Iterable[str], keep: int) -> list[str]:
    """The scheduled backups to delete: all but the newest `keep` (names sort by time)."""
    names = sorted(name for name in taken if SCHEDULED.match(name))
    return names[: max(0, len(names) - keep)]


def take_scheduled(now: dt.datetime | None = None) -> Path | None:
    """The worker's every-minute question: the day's backup, if HEAT_BACKUP_DIR is set and it is
    due. Returns the verified backup taken, or None (not due, or failed: counted and logged)."""
    global _failed_at
    config = current_app.config
    if not config["HEAT_BACKUP_DIR"]:
        return None
    folder = Path(config["HEAT_BACKUP_DIR"])
    now = now or dt.datetime.now(dt.UTC)
    taken = [path.name for path in folder.iterdir()] if folder.is_dir() else []
    if not due(now, config["HEAT_BACKUP_AT"], taken, _failed_at):
        return None
    path = folder / scheduled_name(now)
    partial = path.with_name(path.name + ".partial")
    try:
        partial.unlink(missing_ok=True)  # left by a worker killed mid-way
        create(partial)
        checked = verify(partial)
        if checked.broken is not None:
            raise BackupError(f"the backup's audit trail is broken at row {checked.broken.row_id}")
        partial.rename(path)
        deleted = oldest_beyond([*taken, path.name], config["HEAT_BACKUP_KEEP"])
        for name in deleted:
            (folder / name).unlink()
    except Exception as error:  # whatever it was, it is counted and said, and tried again later
        db.session.rollback()
        with suppress(OSError):
            partial.unlink(missing_ok=True)
        _failed_at = now
        metrics.BACKUPS.labels("failed").inc()
        log.error("Scheduled backup into %s failed (tried again in an hour): %s", folder, _said(error))
        return None
    _failed_at = None
    metrics.BACKUPS.labels("done").inc()
    metrics.LAST_BACKUP.set(now.timestamp())
    log.info(
        "Scheduled backup %s taken and verified (%d audit rows); %d older deleted",
        path.name,
        checked.audit_rows,
        len(deleted),
    )
    return path


def _said(error: Exception) -> str:
    """What went wrong, for the log: never a statement or its parameters."""
    return str(error) if isinstance(error, BackupError | OSError) else reason(error)
