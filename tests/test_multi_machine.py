"""The documented multi-machine set-up, for real: two app instances (gunicorn) on one database
and one Redis, and an export worker (huey_consumer) on that Redis. A session, a sign-out, an
export and sign-in throttling must work across the instances. Redis comes from Debian's
redis-server (make test installs it); without it this test fails, it never skips."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests import helpers
from tests.live import Browser
from tests.test_assessment_flow import definition

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} stopped with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port}")


@pytest.fixture
def machines(settings, tmp_path, app):
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        pytest.fail("redis-server is missing: apt-get install redis-server (make test installs it)")
    processes: list[subprocess.Popen] = []
    try:
        redis_port = free_port()
        redis = subprocess.Popen(
            [redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        processes.append(redis)
        wait_for(redis_port, redis)
        env = {
            **os.environ,
            "DATABASE_URL": settings["SQLALCHEMY_DATABASE_URI"],
            "HEAT_SECRET_KEY": settings["SECRET_KEY"],
            "HEAT_ENV": "test",
            "HEAT_HUEY_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "HEAT_EXPORT_DIR": str(tmp_path / "exports"),  # shared by both instances and the worker
        }
        ports = []
        for _ in range(2):
            port = free_port()
            instance = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--no-control-socket",
                    "--log-level",
                    "warning",
                    "app:create_app()",
                ],
                cwd=ROOT,
                env=env,
            )
            processes.append(instance)
            ports.append((port, instance))
        worker = subprocess.Popen(
            [str(BIN / "huey_consumer"), "worker.huey", "--workers", "1", "--quiet"], cwd=ROOT, env=env
        )
        processes.append(worker)
        for port, instance in ports:
            wait_for(port, instance)
        yield [port for port, _ in ports]
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # gunicorn can take longer on a loaded machine
                process.kill()
                process.wait()


def test_sessions_sign_out_exports_and_throttling_work_across_two_instances(app, make, signed_in, machines):
    first, second = machines
    team = make.team("Two-machine team")
    worker = make.user("practitioner", team)
    auditor = make.user("auditor")
    client = signed_in(worker)
    child = make.child(team)
    assessment_id = helpers.start(client, child.id)
    helpers.complete(client, assessment_id, definition(app))
    assert helpers.submit(client, assessment_id).status_code == 302

    # A session started on one instance is good on the other; signing out on either ends it on both.
    browser = Browser(first).sign_in(worker.email)
    on_second = Browser(second)
    on_second.cookies = dict(browser.cookies)
    assert on_second.get("/caseload").status == 200
    old_cookies = dict(browser.cookies)
    on_second.token = browser.token
    assert on_second.post("/sign-out", {}).status == 302
    replay = Browser(first)
    replay.cookies = old_cookies
    assert replay.get("/caseload").status == 302  # back to sign-in

    # An export asked for on one instance is built by the worker and downloaded from the other.
    auditing = Browser(first).sign_in(auditor.email)
    today = dt.date.today()
    asked = auditing.post(
        "/exports",
        {
            "teams": [str(team.id)],
            "date_from": [str(d) for d in (today.day, today.month, today.year - 1)],
            "date_to": [str(today.day), str(today.month), str(today.year)],
        },
    )
    assert asked.status == 302, asked.body[:2000]
    elsewhere = Browser(second)
    elsewhere.cookies = dict(auditing.cookies)
    link = None
    deadline = time.time() + 60
    while link is None and time.time() < deadline:
        link = helpers.page(elsewhere.get("/exports").body).find("a", string="Download export")
        time.sleep(0.5)
    assert link is not None, "the worker did not build the export"
    download = elsewhere.get(link["href"])
    assert download.status == 200
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        assert any(name.endswith(".pdf") for name in archive.namelist())

    # Failed sign-ins count across instances: 3 here and 2 there reach the account's limit of 5.
    for port in (first, second, first, second, first):
        attempt = Browser(port)
        attempt.token = helpers.field_value(attempt.get("/sign-in").body, "csrf_token")
        assert attempt.post("/sign-in", {"email": worker.email, "password": "wrong password"}).status == 200
    last = Browser(second)
    last.token = helpers.field_value(last.get("/sign-in").body, "csrf_token")
    assert last.post("/sign-in", {"email": worker.email, "password": "correct horse battery staple"}).status == 429
