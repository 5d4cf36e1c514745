"""Shared fixtures: one migrated database per run (SQLite, or PostgreSQL when asked), emptied
after every test; factories for teams, users and children; a CSRF-aware signed-in client."""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import request_finished
from flask_migrate import upgrade
from huey.exceptions import CancelExecution
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from app import create_app
from heat import tasks
from heat.extensions import db, huey
from heat.models import Child, Household, Team, User
from heat.services import passwords
from tests.helpers import field_value

TESTS = Path(__file__).parent
PASSWORD = "correct horse battery staple"


def xdist_worker() -> str | None:
    """The pytest-xdist worker this process is ("gw0", "gw1"...), or None in a serial run."""
    return os.environ.get("PYTEST_XDIST_WORKER")


def database_url(tmp_path_factory) -> str:
    """The database for this test process. SQLite: a file in this process's own temporary folder
    (pytest-xdist gives each worker its own). PostgreSQL: TEST_DATABASE_URL in a serial run, and
    `<that database>_gw0`, `_gw1`... under pytest-xdist, created here if missing."""
    if os.environ.get("HEAT_TEST_ON_POSTGRES") == "1":
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            pytest.exit("HEAT_TEST_ON_POSTGRES=1 but TEST_DATABASE_URL is not set", returncode=3)
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        worker = xdist_worker()
        return url if worker is None else worker_database(url, worker)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'heat-test.db'}"


def worker_database(url: str, worker: str) -> str:
    """Create (once; later runs reuse it, as its schema is reset anyway) this worker's own
    PostgreSQL database beside the one TEST_DATABASE_URL names, and return its URL."""
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first()
            if exists is None:
                try:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                except ProgrammingError as error:  # another run made it since: as good
                    if "already exists" not in str(error):
                        raise
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path_factory),
        "HEAT_ENV": "test",
        # Huey's documented test mode: tasks run at once, in the process that queues them.
        "HEAT_HUEY": "immediate",
    }


def reset_schema(app) -> None:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        # Every test starts with an empty trail (migration 0013 writes its first keyed row).
        with db.engine.begin() as conn, audit_triggers_off(conn):
            conn.execute(text("DELETE FROM audit_events"))


@pytest.fixture(scope="session")
def app(settings, tmp_path_factory):
    # Cheap hashing in tests only; test_passwords checks the production parameters.
    passwords.configure(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    application = create_app({**settings, "HEAT_EXPORT_DIR": str(tmp_path_factory.mktemp("exports"))})
    reset_schema(application)
    return application


@pytest.fixture
def another_app(settings):
    """another_app(**overrides) -> a second app on the test settings; its connections are closed
    after the test (a connection left for the garbage collector is a warning, and so an error)."""
    made = []

    def make(**overrides):
        application = create_app({**settings, **overrides})
        made.append(application)
        return application

    yield make
    for application in made:
        with application.app_context():
            db.engine.dispose()


@pytest.fixture(autouse=True)
def clean_database(request):
    """Every test ends with an empty database, except those sharing a class-scoped world (see
    tests/test_access.py): that fixture empties it when the last of them is done."""
    yield
    if "app" not in request.fixturenames or "shared_world" in request.fixturenames:
        return
    empty_database(request.getfixturevalue("app"))


def empty_database(application) -> None:
    with application.app_context():
        db.session.remove()
        with db.engine.begin() as conn, audit_triggers_off(conn):
            deletes = [f'DELETE FROM "{table.name}"' for table in reversed(db.metadata.sorted_tables)]
            if conn.dialect.name == "postgresql":  # one round trip to the server, not one per table
                conn.exec_driver_sql("; ".join(deletes))
            else:
                for delete in deletes:
                    conn.exec_driver_sql(delete)
        db.engine.dispose()


@contextmanager
def audit_triggers_off(conn):
    """The database refuses to change or delete audit rows (migration 0006); clearing the test
    database between tests is the one thing allowed to, as the table's owner would."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        yield
        conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
        return
    triggers = conn.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'")
    ).all()
    for name, _ in triggers:
        conn.execute(text(f"DROP TRIGGER {name}"))
    yield
    for _, sql in triggers:
        conn.execute(text(sql))


class Factory:
    """Invented records for tests, committed so the app under test sees them.

    Each record is made in an app context of its own and returned detached with its columns
    loaded: a test must not keep an app context pushed, or its requests would share it
    (Flask reuses a pushed context, and with it `g` and the database session).
    """

    def __init__(self, app):
        self.app = app

    def _save(self, record):
        with self.app.app_context():
            db.session.add(record)
            db.session.commit()
            db.session.refresh(record)
            db.session.expunge(record)
        return record

    def team(self, name: str | None = None) -> Team:
        return self._save(Team(name=name or f"Team {uuid.uuid4().hex[:6]}"))

    def user(
        self, role: str = "practitioner", team: Team | None = None, email: str | None = None, active: bool = True
    ) -> User:
        return self._save(
            User(
                email=email or f"{role}-{uuid.uuid4().hex[:6]}@example.org",
                name=f"Test {role.title()}",
                role=role,
                team_id=team.id if team else None,
                password_hash=passwords.hash_password(PASSWORD),
                active=active,
            )
        )

    def child(
        self,
        team: Team,
        first_name: str = "Ava",
        last_name: str = "Testchild",
        months: int = 8,
        household: Household | None = None,
        plan: str = "cp",
    ) -> Child:
        return self._save(
            Child(
                reference=f"T-{uuid.uuid4().hex[:8]}",
                first_name=first_name,
                last_name=last_name,
                date_of_birth=dt.date.today() - dt.timedelta(days=30 * months),
                team_id=team.id,
                household_id=household.id if household else None,
                plan_status=plan,
                plan_category="neglect" if plan == "cp" else None,
            )
        )

    def household(self, team: Team) -> Household:
        return self._save(Household(team_id=team.id))


@pytest.fixture
def make(app) -> Factory:
    return Factory(app)


# --- PDF renders: only where a test reads a PDF ------------------------------------------------
# Each submission or decision queues the render of its version's PDF (WeasyPrint, ~0.7 s of CPU),
# which Huey's immediate mode would run at once. Most tests never read that PDF: for them the
# render stays waiting, as it does in production until a worker takes it (the version is kept,
# its PDF not yet made). Tests that read a version's PDF are marked `pdf_renders` and get it
# rendered at once. A test not marked that asks for a version's PDF gets "The PDF is being
# prepared" and fails, saying to mark it, so no check of a PDF passes because there was none.
_renders = {"wait": False, "waited": []}


@huey.pre_execute("tests_pdf_renders_wait")
def _pdf_renders_wait(task) -> None:
    if _renders["wait"] and isinstance(task, tasks.render_pdf.task_class):
        raise CancelExecution()


def _pdf_waited(sender, response, **extra) -> None:
    if response.status_code == 202 and "Retry-After" in response.headers:
        _renders["waited"].append(response)


request_finished.connect(_pdf_waited)


@contextmanager
def renders_waiting() -> Iterator[None]:
    """Renders wait inside the block whatever the test's mark: for a class- or module-scoped
    world (made before the test's own fixtures, so rendering every PDF otherwise) that reads
    only some of its PDFs and renders those itself."""
    was, _renders["wait"] = _renders["wait"], True
    try:
        yield
    finally:
        _renders["wait"] = was


@pytest.fixture(autouse=True)
def pdf_renders_wait(request):
    """Renders wait unless the test is marked `pdf_renders` (see above). Browser tests render as
    they always have."""
    marks = {mark.name for mark in request.node.iter_markers()}
    _renders["wait"] = not marks & {"pdf_renders", "browser"}
    _renders["waited"].clear()
    yield
    waited, _renders["wait"] = bool(_renders["waited"]) and _renders["wait"], False
    _renders["waited"].clear()
    if waited:
        pytest.fail(
            "a version's PDF was asked for while renders wait (not rendered): mark the test "
            "@pytest.mark.pdf_renders to have each kept version's PDF rendered at once"
        )


def csrf_token(client, url: str = "/sign-in") -> str:
    return field_value(client.get(url).get_data(as_text=True), "csrf_token")


def sign_in(client, email: str, password: str = PASSWORD):
    token = csrf_token(client, "/sign-in")
    return client.post("/sign-in", data={"csrf_token": token, "email": email, "password": password})


@pytest.fixture
def signed_in(app):
    """signed_in(user) -> a test client signed in as that user, with .token for forms."""

    return lambda user: signed_in_client(app, user)


def signed_in_client(app, user: User):
    client = app.test_client()
    response = sign_in(client, user.email)
    assert response.status_code == 302, response.get_data(as_text=True)
    client.token = csrf_token(client, "/caseload" if user.role != "admin" else "/admin/users")
    return client


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test that cannot run fails, loudly: a skip (pytest.skip, a skip mark, a missing import
    or tool) is reported as a failure, in a serial run and on every pytest-xdist worker alike."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid} was skipped, and no test may skip: {reason}"


def pytest_collection_modifyitems(items) -> None:
    """Everything under tests/browser drives Chromium: `pytest -m "not browser"` is the quick run.

    A test that never asks for the test database (no `settings` among its fixtures, and so no
    `app`, `make` or `another_app`) is marked `no_database`: the same whichever database the pass
    is on, it runs in the SQLite pass only (`make test` deselects it on PostgreSQL)."""
    browser_dir = TESTS / "browser"
    for item in items:
        if browser_dir in item.path.parents:
            item.add_marker(pytest.mark.browser)
        if "settings" not in getattr(item, "fixturenames", ("settings",)):
            item.add_marker(pytest.mark.no_database)


@pytest.fixture
def team_world(app, make, signed_in):
    """A team with a practitioner and a supervisor (each signed in) and a child on a CP plan."""
    team = make.team("Riverside")
    worker = make.user("practitioner", team)
    supervisor = make.user("supervisor", team)
    child = make.child(team, "Ivy", "Invented", months=5)
    return {
        "team": team,
        "worker": worker,
        "supervisor": supervisor,
        "child": child,
        "w": signed_in(worker),
        "s": signed_in(supervisor),
    }


class TcpRelay:
    """A PostgreSQL server that can be switched off: a relay on a loopback port to the real one.
    Switched off, it refuses connections and cuts every open one, as a restarting server does."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.port = 0
        self.listener: socket.socket | None = None
        self.open: list[socket.socket] = []

    def start(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        self.listener.listen()
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def stop(self) -> None:
        assert self.listener is not None
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (close alone would not)
        self.listener.close()
        for connection in self.open:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()
        self.open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.open += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture
def postgres_outage(settings, another_app):
    """On PostgreSQL, (app, down): an app on the test database through a relay that `down()`
    switches off for a `with` block (the server stops answering: it refuses connections and cuts
    every open one, as a restarting server does), then on again, to the same app (no restart).
    None on SQLite, where each test takes the database away its own way."""
    url = make_url(settings["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        yield None
        return
    relay = TcpRelay(url.host or "127.0.0.1", url.port or 5432)
    relay.start()
    served = another_app(
        TESTING=False,
        PROPAGATE_EXCEPTIONS=False,
        SQLALCHEMY_DATABASE_URI=url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False),
    )

    @contextmanager
    def down() -> Iterator[None]:
        relay.stop()
        yield
        relay.start()

    yield served, down
    relay.stop()
