"""Exports cannot get stuck: one whose worker was killed mid-build, or whose task was lost, is
queued again by the periodic task (or `flask exports requeue`) and completes; a build never runs
twice at once; the page shows each export's real state with "Try again"; and with the queue
(Redis) down, asking for an export says so and leaves nothing waiting to start."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from heat import tasks
from heat.database import writing
from heat.extensions import db
from heat.models import AuditEvent, Export, utcnow
from heat.services import exports as export_service
from tests import helpers
from tests.conftest import csrf_token, sign_in
from tests.test_assessment_flow import count
from tests.test_exports_and_audit import exported_world, make_export, newest_export  # noqa: F401  (the fixture)
from tests.test_multi_machine import free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.fixture
def world(exported_world):  # noqa: F811
    """A team with two submitted visits, and an auditor signed in (test_exports_and_audit)."""
    return exported_world


def stall(app, export_id: int, status: str, minutes: int = 11) -> None:
    """As a worker killed mid-build (or a task lost from the queue) leaves it: silent since then."""
    with app.app_context(), writing():
        db.session.execute(
            update(Export)
            .where(Export.id == export_id)
            .values(status=status, done=0, total=2, progress_at=utcnow() - dt.timedelta(minutes=minutes))
        )
        db.session.commit()


def stored(app, export_id: int) -> Export:
    with app.app_context():
        return db.session.get_one(Export, export_id)


@pytest.mark.parametrize("status", ["running", "queued"])
def test_an_export_left_silent_past_the_deadline_completes_after_the_requeue_task_runs(app, world, status):
    export_id = make_export(app, world)
    stall(app, export_id, status)
    page = world["auditor"].get("/exports").get_data(as_text=True)
    row = helpers.table_row(page, "Stopped")
    assert "Try again" in row and ("at 0 of 2" in row) == (status == "running")
    with app.app_context():
        tasks.requeue_stalled_exports()  # the periodic task (immediate mode in tests: the build runs now)
    export = stored(app, export_id)
    assert export.status == "done" and export.done == export.total == 2 and export.attempt == 2
    with app.app_context():
        assert export_service.export_path(export).exists()
    assert count(app, AuditEvent, AuditEvent.action == "export_requeued") == 1
    page = world["auditor"].get("/exports").get_data(as_text=True)
    assert "Download export" in helpers.table_row(page, "Ready")


def test_the_requeue_command_does_the_same_and_a_second_run_finds_nothing(app, world):
    export_id = make_export(app, world)
    stall(app, export_id, "running")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["exports", "requeue"]).output == f"Queued again: export {export_id}.\n"
    assert stored(app, export_id).status == "done"
    assert runner.invoke(args=["exports", "requeue"]).output == "No export has stalled.\n"


def test_an_export_is_never_built_twice_at_once(app, world):
    export_id = make_export(app, world)
    stall(app, export_id, "queued", minutes=0)
    with app.app_context():
        first = export_service._claim(export_id)
        assert first is not None
        assert export_service._claim(export_id) is None  # a second worker handed the same task: no
        assert export_service.requeue_stalled() == []  # the first is making progress
    stall(app, export_id, "running")  # ... then goes silent past the deadline
    with app.app_context():
        assert export_service.requeue_stalled() == [export_id]
        assert export_service.requeue_stalled() == []  # idempotent: it was just queued
        second = export_service._claim(export_id)
        assert second == first + 1
        with pytest.raises(export_service.Superseded):  # the first build wakes up: it stops
            export_service._save(export_id, first, done=1)
        export_service._save(export_id, second, done=1)


def test_try_again_on_a_failed_export_is_a_csrf_protected_audited_post(app, world):
    auditor = world["auditor"]
    export_id = make_export(app, world)
    with app.app_context(), writing():
        db.session.execute(update(Export).where(Export.id == export_id).values(status="failed", error="OSError"))
        db.session.commit()
    page = auditor.get("/exports").get_data(as_text=True)
    row = helpers.table_row(page, "Failed")
    assert "Something went wrong" in row and "Try again" in row
    form = helpers.page(page).find("form", attrs={"action": f"/exports/{export_id}/retry"})
    assert form is not None and form["method"] == "post"
    assert auditor.post(f"/exports/{export_id}/retry").status_code == 400  # no CSRF token
    response = auditor.post(f"/exports/{export_id}/retry", data={"csrf_token": auditor.token})
    assert response.status_code == 302
    assert stored(app, export_id).status == "done"
    assert count(app, AuditEvent, AuditEvent.action == "export_retried") == 1
    again = auditor.post(f"/exports/{export_id}/retry", data={"csrf_token": auditor.token}, follow_redirects=True)
    assert "This export is already being made or is finished" in again.get_data(as_text=True)
    assert count(app, AuditEvent, AuditEvent.action == "export_retried") == 1


@pytest.fixture
def queue_down(app, another_app):
    """An app whose export queue is a Redis that is not there (nothing listens on its port)."""
    served = another_app(HEAT_HUEY=f"redis://127.0.0.1:{free_port()}/0", HEAT_EXPORT_DIR=app.config["HEAT_EXPORT_DIR"])
    yield served
    tasks.configure(app)  # the queue is one object: give it back to the test app


def test_with_redis_down_asking_for_an_export_says_so_and_leaves_nothing_waiting(app, world, queue_down):
    client = queue_down.test_client()
    assert sign_in(client, world["auditor_user"].email).status_code == 302
    today = dt.date.today()
    response = client.post(
        "/exports",
        data={
            "csrf_token": csrf_token(client, "/exports"),
            "teams": [str(world["north"].id)],
            "date_from": [str(today.day), str(today.month), str(today.year - 1)],
            "date_to": [str(today.day), str(today.month), str(today.year)],
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "The export could not start because the export queue is not available" in page
    row = helpers.table_row(page, "Failed")
    assert "the export queue was not available" in row and "Try again" in row
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Export).where(Export.status == "queued")) == 0


def worker_process(app, queue: Path, export_dir: Path) -> subprocess.Popen:
    """The export worker as deployed (`huey_consumer worker.huey`), on the test's database and a
    SQLite queue the test's app shares."""
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "HEAT_SECRET_KEY": app.config["SECRET_KEY"],
        "HEAT_ENV": "test",
        "HEAT_HUEY_SQLITE": str(queue),
        "HEAT_EXPORT_DIR": str(export_dir),
    }
    env.pop("HEAT_HUEY_REDIS_URL", None)
    return subprocess.Popen(
        # Polling the queue every half second at most (huey's default backs off to 10 s).
        [str(BIN / "huey_consumer"), "worker.huey", "--workers", "1", "--quiet", "--max-delay", "0.5"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def until(app, export_id: int, done, seconds: float = 60) -> Export:
    """Look at the export until `done(export)` holds (the worker is another process)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with app.app_context():
            export = db.session.get_one(Export, export_id)
            db.session.expunge(export)
        if done(export):
            return export
        time.sleep(0.1)
    raise AssertionError(f"export {export_id} is still {export.status} at {export.done} of {export.total}")


@pytest.fixture
def queued(app, another_app, tmp_path):
    """An app whose exports go to a SQLite queue file that a real worker process reads."""
    served = another_app(HEAT_HUEY=str(tmp_path / "queue.db"), HEAT_EXPORT_DIR=str(tmp_path / "exports"))
    yield served
    tasks.configure(app)  # the queue is one object: give it back to the test app


def test_an_export_whose_worker_is_killed_mid_build_completes_after_the_worker_restarts(world, queued, tmp_path):
    served, queue, folder = queued, tmp_path / "queue.db", tmp_path / "exports"
    client = served.test_client()
    assert sign_in(client, world["auditor_user"].email).status_code == 302
    today = dt.date.today()
    response = client.post(
        "/exports",
        data={
            "csrf_token": csrf_token(client, "/exports"),
            "teams": [str(world["north"].id)],
            "date_from": [str(today.day), str(today.month), str(today.year - 1)],
            "date_to": [str(today.day), str(today.month), str(today.year)],
        },
    )
    assert response.status_code == 302
    export_id = newest_export(served)
    # The first build's file is a pipe nobody reads: the worker blocks in the middle of its build
    # (claimed, counted, writing), and is killed there.
    folder.mkdir(exist_ok=True)
    os.mkfifo(folder / f"export-{export_id}.1.part")
    worker = worker_process(served, queue, folder)
    try:
        until(served, export_id, lambda e: e.status == "running" and e.total == 2)
        worker.kill()
        worker.wait()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    row = helpers.table_row(client.get("/exports").get_data(as_text=True), "In progress")
    assert "0 of 2" in row and "Download export" not in row  # left running: stuck without the requeue
    stall(served, export_id, "running")  # ... and the deadline passes with no word from it

    restarted = worker_process(served, queue, folder)
    try:
        assert served.test_cli_runner().invoke(args=["exports", "requeue"]).output == (
            f"Queued again: export {export_id}.\n"
        )
        export = until(served, export_id, lambda e: e.status in ("done", "failed"))
    finally:
        restarted.terminate()
        restarted.wait(timeout=30)
    assert export.status == "done" and export.done == export.total == 2 and export.attempt == 2
    with served.app_context():
        archive = export_service.export_path(export)
    with zipfile.ZipFile(archive) as opened:
        assert sorted(n for n in opened.namelist() if n.endswith(".pdf")) == sorted(
            f"assessments/assessment-{n}.pdf" for n in world["ids"]
        )
    assert "Download export" in helpers.table_row(client.get("/exports").get_data(as_text=True), "Ready")
