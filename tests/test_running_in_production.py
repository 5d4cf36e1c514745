"""Issue 25 items 2 to 6, as the platform team sees them: /healthz and /readyz with the database
and the queue stopped and back (no restart), /metrics with and without its token, the counts a
dashboard reads, metrics added up over two gunicorn workers, JSON log lines with nothing personal
in them, and the worker's daily backups."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from heat import monitoring, tasks
from heat.extensions import db
from heat.models import AuditEvent
from heat.services import backup
from tests import helpers
from tests.conftest import sign_in, signed_in_client
from tests.live import Browser
from tests.test_assessment_flow import definition
from tests.test_multi_machine import BIN, ROOT, free_port, wait_for
from tests.test_offline_saves import api_token, fields_of
from tests.test_unavailable import assert_unavailable

TOKEN = "metrics-token-for-tests-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def audit_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent))


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of a metrics page: (name, labels) -> value."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(page: dict, name: str, **labels: str) -> float:
    return page.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def stoppable(app, settings, another_app, postgres_outage):
    """(app, stopped): an app whose database `stopped()` takes away for a `with` block, then
    gives back to the same app (no restart). PostgreSQL: the server stops answering (a relay
    switched off). SQLite: the database file is taken away (a disk gone), and the served app's
    connections open on it closed, as the disk's going would break them."""
    if postgres_outage is not None:
        yield postgres_outage
        return
    url = make_url(settings["SQLALCHEMY_DATABASE_URI"])

    served = another_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    file = Path(url.database)

    @contextmanager
    def gone() -> Iterator[None]:
        # The folder goes, with the write-ahead log beside the file; a folder is left where the
        # file was, which SQLite cannot open (nor create a new, empty database in its place).
        away = file.parent.with_name(file.parent.name + "-away")
        file.parent.rename(away)
        file.mkdir(parents=True)
        with served.app_context():
            db.engine.dispose()
        yield
        shutil.rmtree(file.parent)
        away.rename(file.parent)

    yield served, gone


def test_health_and_readiness_follow_the_database_with_no_session_and_no_audit_row(app, stoppable, make):
    served, stopped = stoppable
    client, browsing = served.test_client(), served.test_client()
    assert sign_in(browsing, make.user("practitioner", make.team()).email).status_code == 302
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}
    with stopped():
        assert client.get("/healthz").json == {"status": "ok"}  # the process answers: never restart it
        down = client.get("/readyz")
        assert down.status_code == 503
        assert down.json["status"] == "not ready"
        assert down.json["checks"]["database"].startswith("not reachable (")
        assert down.json["reason"].startswith("database: not reachable")
        assert_unavailable(browsing.get("/caseload"))  # pages: the designed 503, with the request id
    assert client.get("/readyz").status_code == 200  # back, in the same app
    assert browsing.get("/caseload").status_code == 200
    before = audit_rows(app)
    for response in (client.get("/healthz"), client.get("/readyz")):
        assert "Set-Cookie" not in response.headers
        assert response.mimetype == "application/json"
        assert response.headers["X-Request-Id"]
    assert audit_rows(app) == before


def test_readiness_says_the_schema_is_behind_the_migrations(another_app, tmp_path):
    client = another_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'new.db'}").test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {
        "database": "ok",
        "migrations": "no migrations applied: run `flask db upgrade`",
    }
    with sqlite3.connect(tmp_path / "new.db") as old:
        old.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        old.execute("INSERT INTO alembic_version VALUES ('0014_checklist_2026_4')")
    behind = client.get("/readyz").json["checks"]["migrations"]
    assert re.fullmatch(r"at 0014_checklist_2026_4, not 0\d+_\w+: run `flask db upgrade`", behind), behind


@pytest.fixture
def redis_queue(app):
    """A real Redis on a free port: `start()` and `stop()` it. The queue is shared by every app in
    this process (heat.extensions.huey), so it is put back to the tests' own afterwards."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is missing: apt-get install redis-server (make test installs it)")
    port = free_port()
    running: list[subprocess.Popen] = []

    def start() -> None:
        process = subprocess.Popen(
            [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        running.append(process)
        wait_for(port, process)

    def stop() -> None:
        process = running.pop()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)

    start()
    yield f"redis://127.0.0.1:{port}/0", start, stop
    while running:
        stop()
    tasks.configure(app)


def test_readiness_and_queue_depth_follow_redis_and_pages_still_work(another_app, redis_queue, make):
    url, start, stop = redis_queue
    served = another_app(HEAT_HUEY=url, HEAT_METRICS_TOKEN=TOKEN, TESTING=False, PROPAGATE_EXCEPTIONS=False)
    client, browsing = served.test_client(), served.test_client()
    assert sign_in(browsing, make.user("practitioner", make.team()).email).status_code == 302
    assert client.get("/readyz").json["checks"] == {"database": "ok", "migrations": "ok", "queue": "ok"}
    assert value(samples(client.get("/metrics", headers=BEARER).text), "heat_queue_depth") == 0
    stop()
    down = client.get("/readyz")
    assert down.status_code == 503
    assert down.json["checks"]["queue"].startswith("not reachable (ConnectionError")
    assert down.json["reason"].startswith("queue: not reachable")
    assert value(samples(client.get("/metrics", headers=BEARER).text), "heat_queue_depth") == -1
    assert browsing.get("/caseload").status_code == 200  # pages need no queue
    start()
    assert client.get("/readyz").status_code == 200  # back, with no restart


def test_metrics_only_with_the_token(another_app):
    assert another_app().test_client().get("/metrics").status_code == 404  # no token set: no page
    client = another_app(HEAT_METRICS_TOKEN=TOKEN).test_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == "Bearer"
        assert "heat_" not in refused.text
    shown = client.get("/metrics", headers=BEARER)
    assert shown.status_code == 200
    assert shown.mimetype == "text/plain"
    assert "Set-Cookie" not in shown.headers
    assert value(samples(shown.text), "heat_requests_total", route="ops.prometheus", method="GET", status="401") >= 3


def test_the_counts_a_dashboard_reads_carry_no_personal_data(app, another_app, make):
    """Requests by route name, sign-in failures, tablet saves, replays and conflicts: each counted
    once, labelled with names from a fixed list, never a URL, an id, an email or a name."""
    served = another_app(HEAT_METRICS_TOKEN=TOKEN)
    scraper = served.test_client()
    team = make.team()
    worker = make.user("practitioner", team)
    child = make.child(team, "Zephyrine", "Quillfeather")
    before = samples(scraper.get("/metrics", headers=BEARER).text)

    assert sign_in(served.test_client(), worker.email, "not the password").status_code == 200
    client = signed_in_client(served, worker)
    assert client.get(f"/children/{child.id}").status_code == 200
    assessment_id = helpers.start(client, child.id)
    token = api_token(client)
    fields = fields_of(helpers.visit_data(), "0", "tablet-metrics-1")
    for _ in range(2):  # the outbox sending the same save twice: one save, one replay
        sent = client.post(
            f"/api/assessments/{assessment_id}/sections/visit", json={"fields": fields}, headers={"X-CSRFToken": token}
        )
        assert sent.json["status"] == "saved"
    stale = fields_of(helpers.visit_data(), "0", "tablet-metrics-2")  # made before the first save
    overtaken = client.post(
        f"/api/assessments/{assessment_id}/sections/visit", json={"fields": stale}, headers={"X-CSRFToken": token}
    )
    assert overtaken.status_code == 409

    page = scraper.get("/metrics", headers=BEARER).text
    after = samples(page)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("heat_requests_total", route="casework.child", method="GET", status="200") == 1
    assert grew("heat_request_duration_seconds_count", route="casework.child", method="GET") == 1
    assert grew("heat_sign_in_failures_total", step="password") == 1
    assert grew("heat_tablet_saves_total", kind="section", outcome="saved") == 2
    assert grew("heat_tablet_saves_total", kind="section", outcome="conflict") == 1
    assert grew("heat_replays_total", kind="section") == 1
    assert grew("heat_edit_conflicts_total", kind="section", via="tablet") == 1
    for personal in (worker.email, worker.name, "Zephyrine", "Quillfeather", child.reference, f"/children/{child.id}"):
        assert personal not in page
    # Every label of every sample (other tests' apps counted here too): names, never a URL or address.
    labels = {value for (_, pairs) in after for (name, value) in pairs if name != "le"}
    assert labels and all(re.fullmatch(r"[A-Za-z_][\w.]*|\d{3}", label) for label in labels), labels


def test_a_tablet_save_while_the_database_is_down_is_a_503_and_goes_through_when_it_is_back(stoppable, make):
    """The service worker keeps an outbox entry on any 5xx and sends it again later (assets/sw.js)."""
    served, stopped = stoppable
    team = make.team()
    client = signed_in_client(served, make.user("practitioner", team))
    assessment_id = helpers.start(client, make.child(team).id)
    token = api_token(client)
    save = {"json": {"fields": fields_of(helpers.visit_data(), "0", "tablet-outage-1")}}
    headers = {"X-CSRFToken": token, "X-Heat-Outbox": "1"}
    with stopped():
        waiting = client.post(f"/api/assessments/{assessment_id}/sections/visit", headers=headers, **save)
        assert waiting.status_code == 503
        assert waiting.headers["Retry-After"] == "30"
    sent = client.post(f"/api/assessments/{assessment_id}/sections/visit", headers=headers, **save)
    assert sent.status_code == 200 and sent.json["status"] == "saved"


def test_two_gunicorn_workers_add_up_their_metrics_and_log_json_lines_with_nothing_personal(settings, make, tmp_path):
    team = make.team()
    worker = make.user("practitioner", team)
    child = make.child(team, "Zephyrine", "Quillfeather")
    shared = tmp_path / "metrics"  # as the README says: an empty folder at each start
    shared.mkdir()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings["SQLALCHEMY_DATABASE_URI"],
        "HEAT_SECRET_KEY": settings["SECRET_KEY"],
        "HEAT_ENV": "test",
        "HEAT_HUEY_SQLITE": str(tmp_path / "huey.db"),
        "HEAT_EXPORT_DIR": str(tmp_path / "exports"),
        "PROMETHEUS_MULTIPROC_DIR": str(shared),
        "HEAT_METRICS_TOKEN": TOKEN,
        "HEAT_LOG_FORMAT": "json",
    }
    logged = tmp_path / "gunicorn.log"
    with logged.open("wb") as output:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2", "--no-control-socket"]
            + ["app:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=output,
        )
        try:
            wait_for(port, server)
            browser = Browser(port).sign_in(worker.email)
            shown = browser.get(f"/children/{child.id}")
            assert shown.status == 200
            # Each on a new connection, until both workers have answered some (the kernel shares
            # connections out between them).
            checks = 0
            while len({path.stem.rsplit("_", 1)[1] for path in shared.glob("counter_*.db")}) < 2 and checks < 400:
                assert Browser(port).get("/healthz").status == 200
                checks += 1
            assert len(list(shared.glob("counter_*.db"))) >= 2, "one worker answered every request"
            request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers=BEARER)
            with urllib.request.urlopen(request, timeout=30) as response:
                page = response.read().decode()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    counted = samples(page)
    assert value(counted, "heat_requests_total", route="ops.healthz", method="GET", status="200") == checks
    assert value(counted, "heat_requests_total", route="casework.child", method="GET", status="200") == 1

    text = logged.read_text()
    lines = [json.loads(line) for line in text.splitlines()]  # every line, gunicorn's own too
    requests = [line for line in lines if line["message"] == "request"]
    assert len(requests) >= checks + 4  # the sign-in page, signing in, the child's page, /metrics
    (child_page,) = [line for line in requests if line["route"] == "casework.child"]
    assert child_page["status"] == 200 and child_page["method"] == "GET"
    assert child_page["request_id"] == shown.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{16}", child_page["user"]) and child_page["user"] != str(worker.id)
    assert isinstance(child_page["duration_ms"], float) and child_page["level"] == "INFO" and child_page["time"]
    for personal in (worker.email, worker.name, "Zephyrine", "Quillfeather", child.reference, f"/children/{child.id}"):
        assert personal not in text


def test_a_task_is_one_json_line_timed_in_the_metrics_without_its_arguments(app, team_world, make):
    """Exports run at once in tests (Huey's immediate mode), through the same signals as a worker."""
    auditor = signed_in_client(app, make.user("auditor"))
    assessment_id = helpers.start(team_world["w"], team_world["child"].id)
    helpers.complete(team_world["w"], assessment_id, definition(app))
    assert helpers.submit(team_world["w"], assessment_id).status_code == 302
    lines = io.StringIO()
    handler = monitoring.json_handler(lines)
    monitoring.tasks_log.addHandler(handler)
    monitoring.tasks_log.setLevel(logging.INFO)
    today = dt.date.today()
    try:
        asked = auditor.post(
            "/exports",
            data={
                "csrf_token": auditor.token,
                "teams": [str(team_world["team"].id)],
                "date_from": [str(d) for d in (today.day, today.month, today.year - 1)],
                "date_to": [str(today.day), str(today.month), str(today.year)],
            },
        )
    finally:
        monitoring.tasks_log.removeHandler(handler)
        monitoring.tasks_log.setLevel(logging.NOTSET)
    assert asked.status_code == 302
    (line,) = [json.loads(text) for text in lines.getvalue().splitlines()]
    assert line["message"] == "task" and line["task"] == "build_export" and line["outcome"] == "done"
    assert line["duration_ms"] > 0 and line["task_id"]
    assert set(line) == {"level", "logger", "message", "task", "task_id", "outcome", "duration_ms", "time"}


def backups(outcome: str) -> float:
    return REGISTRY.get_sample_value("heat_backups_total", {"outcome": outcome}) or 0.0


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("now", "taken", "failed_at", "expected"),
    [
        (at(2, 1, 59), [], None, False),  # not yet the time
        (at(2, 2, 0), [], None, True),
        (at(2, 23, 0), ["heat-2026-03-01T0200Z.backup"], None, True),  # the worker was down at 02:00
        (at(2, 2, 5), ["heat-2026-03-02T0200Z.backup"], None, False),  # taken today
        (at(2, 2, 5), ["heat-2026-03-02T0200Z.backup.partial"], None, True),  # never finished
        (at(2, 2, 30), [], at(2, 2, 0), False),  # failed half an hour ago
        (at(2, 3, 0), [], at(2, 2, 0), True),  # an hour on: tried again
    ],
)
def test_when_the_daily_backup_is_due(now, taken, failed_at, expected):
    assert backup.due(now, dt.time(2, 0), taken, failed_at) is expected


def test_the_worker_takes_a_verified_backup_a_day_and_keeps_the_newest(
    app, another_app, tmp_path, make, caplog, monkeypatch
):
    monkeypatch.setattr(backup, "_failed_at", None)  # whatever another test's worker left
    make.child(make.team())
    folder = tmp_path / "backups"
    served = another_app(HEAT_BACKUP_DIR=str(folder), HEAT_BACKUP_KEEP=2, HEAT_BACKUP_AT="02:00")
    (folder / "notes.txt").parent.mkdir()
    (folder / "notes.txt").write_text("not a backup: never deleted")
    caplog.set_level(logging.INFO, logger="heat")
    done_before = backups("done")
    with served.app_context():
        assert backup.take_scheduled(at(1, 1, 0)) is None
        for day in (1, 2, 3):
            path = backup.take_scheduled(at(day, 2, 1))
            assert path == folder / f"heat-2026-03-0{day}T0201Z.backup"
            assert backup.take_scheduled(at(day, 2, 2)) is None  # once a day
            checked = backup.verify(path)
            assert checked.broken is None and checked.audit_rows > 0
    assert sorted(p.name for p in folder.iterdir()) == [
        "heat-2026-03-02T0201Z.backup",
        "heat-2026-03-03T0201Z.backup",
        "notes.txt",
    ]
    assert backups("done") == done_before + 3
    assert REGISTRY.get_sample_value("heat_backup_last_success_timestamp_seconds") == at(3, 2, 1).timestamp()
    said = [r.getMessage() for r in caplog.records if r.name == "heat"]
    assert "Scheduled backup heat-2026-03-03T0201Z.backup taken and verified" in said[-1]
    assert said[-1].endswith("; 1 older deleted")


def test_a_failed_backup_is_counted_logged_and_tried_again_an_hour_later(another_app, tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(backup, "_failed_at", None)
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    served = another_app(HEAT_BACKUP_DIR=str(blocked / "backups"), HEAT_BACKUP_AT="02:00")
    failed_before = backups("failed")
    caplog.set_level(logging.ERROR, logger="heat")
    with served.app_context():
        assert backup.take_scheduled(at(4, 2, 0)) is None
        assert backup.take_scheduled(at(4, 2, 30)) is None  # not tried: no second error
        assert backup.take_scheduled(at(4, 3, 0)) is None  # tried again, failed again
    assert backups("failed") == failed_before + 2
    failures = [r.getMessage() for r in caplog.records if "Scheduled backup" in r.getMessage()]
    assert len(failures) == 2
    assert failures[0].startswith(f"Scheduled backup into {blocked / 'backups'} failed (tried again in an hour): ")
