"""Database engine set-up: SQLite pragmas and IMMEDIATE write transactions.

SQLite runs in WAL mode with a busy timeout and foreign keys on. A deferred transaction that reads
and then writes fails with SQLITE_BUSY when another writer got there first, so every transaction
of a state-changing request (or inside `writing()`) begins IMMEDIATE and waits its turn instead.

An IMMEDIATE transaction holds SQLite's one write lock until it ends, and every other writer waits
for it (at most the busy timeout, then "database is locked"). So no transaction may hold it for
long: no rendering, no network, no password hashing and no bulk work inside one (imports commit a
batch at a time; the audit chain is sealed after commit, services/audit.py). One held longer than
a second is logged ("held SQLite's write lock for 1.4 s in casework.submit"), to find the next.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from flask import has_request_context, request
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine

from heat.files import open_private, private_file, private_folder

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BUSY_TIMEOUT_MS = 10_000
LONG_HOLD_SECONDS = 1.0  # a write transaction held longer than this is logged

_writing: ContextVar[bool] = ContextVar("heat_writing", default=False)
# A connection with this execution option runs each statement as its own transaction (SQLite's
# autocommit: no BEGIN is said). One INSERT then takes the write lock, writes and lets go inside a
# single call into SQLite, with no Python (and so no wait for the GIL) in between (see `alone`).
ALONE = "heat_statement_alone"
log = logging.getLogger("heat")

# The database cannot be reached, is locked past the busy timeout, or cannot be opened or written
# (a server restarting, a full disk, a file with the wrong owner). SQLite reports a mistake in our
# own SQL as an OperationalError too; the test suite finds those before release, so at run time
# these mean the database, not the code. Pages answer them with 503 (app.py).
UNAVAILABLE: tuple[type[Exception], ...] = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.TimeoutError,  # no connection free in the pool
    sqlite3.OperationalError,
)


def reason(error: BaseException) -> str:
    """What went wrong, for the log: the driver's own first line, never the statement or its
    parameters (which can hold a child's details)."""
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines()
    return f"{type(original).__name__}: {lines[0] if lines else ''}"


@contextmanager
def writing() -> Iterator[None]:
    """Begin the transactions opened inside this block IMMEDIATE (for CLI commands and jobs)."""
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


@contextmanager
def alone(engine: Engine) -> Iterator[Connection]:
    """A connection of its own whose every statement is a transaction by itself: for one INSERT
    that stands alone (a page view's audit row). On SQLite the write lock is then held only inside
    SQLite; a transaction of BEGIN IMMEDIATE, INSERT and COMMIT holds it across three calls, and
    between them a thread waits for the GIL behind threads rendering pages, while the other
    requests' writes wait for the lock (a third of the child page's throughput under load)."""
    with engine.connect().execution_options(**{ALONE: True}) as connection:
        yield connection
        connection.commit()  # nothing is open on SQLite; PostgreSQL's driver began one


def _wants_write() -> bool:
    return _writing.get() or (has_request_context() and request.method not in SAFE_METHODS)


def engine_options(url: str, options: dict[str, Any]) -> dict[str, Any]:
    """A SQLite file cannot drop its connection between requests: no ping before every use."""
    if url.startswith("sqlite"):
        return {**options, "pool_pre_ping": False}
    return options


def _prepare_file(database: Path) -> None:
    """The database file (and its write-ahead log) is the service account's alone. SQLite creates
    the -wal and -shm files with the database file's own permissions.

    A file or folder HEAT cannot write is said plainly in the log, and start-up carries on: every
    page then answers "HEAT is not available at the moment" (503) until it is put right, with no
    restart needed, instead of every web worker failing to boot and the server exiting."""
    try:
        private_folder(database.parent)
        if not database.exists():
            open_private(database).close()  # an empty file is a new database
        private_file(database)
    except OSError as error:
        log.error(
            "HEAT cannot use its database file %s (%s). Pages will say HEAT is not available until "
            "the service account can read and write the file and its folder.",
            database,
            error.strerror or error,
        )


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    if engine.url.database and engine.url.database != ":memory:":
        _prepare_file(Path(engine.url.database))

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Take over transaction control from pysqlite so we can say BEGIN IMMEDIATE ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        # Straight to the driver: this runs at the start of every transaction.
        if connection.get_execution_options().get(ALONE):
            return
        if _wants_write():
            connection.connection.driver_connection.execute("BEGIN IMMEDIATE")
            connection.info["write_lock_since"] = time.perf_counter()  # the lock is ours from here
        else:
            connection.connection.driver_connection.execute("BEGIN")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def on_end(connection):
        since = connection.info.pop("write_lock_since", None)
        if since is not None and (held := time.perf_counter() - since) > LONG_HOLD_SECONDS:
            log.warning("A transaction held SQLite's write lock for %.1f s in %s", held, _holder())


def _holder() -> str:
    """Where a transaction ran: the request's endpoint, or a command or job (never a URL, which can
    name a record)."""
    if has_request_context():
        return f"{request.method} {request.endpoint}"
    return "a command or background job"
