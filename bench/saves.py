"""Twenty practitioners at once, with flaky connections: a fault and load benchmark.

20 clients each start and fill whole assessments section by section and submit them, while 4
clients read the caseload, child pages, assessment overviews and the dashboard. 10% of starts,
saves and submits are cut after the request was sent and sent again with the same key, as a
tablet on a bad signal would. Runs against gunicorn on the project's settings, on SQLite and (when
BENCH_POSTGRES_URL names an empty database) on PostgreSQL. Prints saves/s, latency percentiles
and the counts that must be 0: lost, duplicated, 5xx, false conflicts. Asserts nothing.
Run: make bench   (or .venv/bin/python bench/saves.py)
"""

from __future__ import annotations

import datetime as dt
import http.client
import http.cookies
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import helpers  # noqa: E402  (the same plain form data the tests post)

BIN = Path(sys.executable).parent
WORKERS = os.environ.get("WORKERS", "3")
SAVERS, READERS, VISITS_EACH = 20, 4, 4
CUT = 0.10
PASSWORD = "bench-password-not-real-2026"


class Client:
    """A browser's cookies and CSRF token; can cut a request off after sending it."""

    def __init__(self, port: int):
        self.port, self.cookies, self.token = port, {}, ""

    def _raw(self, method: str, path: str, body: str | None) -> bytes:
        headers = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        if self.cookies:
            headers.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if body is not None:
            headers += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        return ("\r\n".join(headers) + "\r\n\r\n" + (body or "")).encode()

    def send(self, method: str, path: str, fields: list | None = None) -> tuple[int, str, str, float]:
        body = None if fields is None else urllib.parse.urlencode([("csrf_token", self.token), *fields])
        start = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return response.status, response.getheader("Location", ""), text, time.perf_counter() - start

    def cut(self, path: str, fields: list) -> None:
        """Send a POST and drop the connection without reading the answer."""
        body = urllib.parse.urlencode([("csrf_token", self.token), *fields])
        with socket.create_connection(("127.0.0.1", self.port)) as s:
            s.sendall(self._raw("POST", path, body))
            time.sleep(0.005)

    def field(self, html: str, name: str) -> str:
        match = re.search(rf'name="{name}"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="{name}"', html)
        return (match.group(1) or match.group(2)) if match else ""


def flatten(data: dict) -> list[tuple[str, str]]:
    return [(k, str(x)) for k, v in data.items() for x in (v if isinstance(v, list) else [v])]


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.save_times: list[float] = []
        self.statuses: list[int] = []
        self.false_conflicts = 0
        self.cuts = 0
        self.expected_saves = 0

    def add(self, status: int, seconds: float | None = None) -> None:
        with self.lock:
            self.statuses.append(status)
            if seconds is not None:
                self.save_times.append(seconds)
            if status == 409:
                self.false_conflicts += 1  # nobody else edits these assessments: every 409 is false


def post_with_faults(client: Client, path: str, fields: list, tally: Tally, rng: random.Random, timed: bool):
    if rng.random() < CUT:
        client.cut(path, fields)
        with tally.lock:
            tally.cuts += 1
    status, location, _, seconds = client.send("POST", path, fields)
    tally.add(status, seconds if timed else None)
    return status, location


def saver(port: int, email: str, child_id: int, definition, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    client = Client(port)
    client.token = client.field(client.send("GET", "/sign-in")[2], "csrf_token")
    client.send("POST", "/sign-in", [("email", email), ("password", PASSWORD)])
    for _ in range(VISITS_EACH):
        page = client.send("GET", f"/children/{child_id}/assessments/new")[2]
        client.token = client.field(page, "csrf_token")
        start = [("start_key", client.field(page, "start_key")), ("children", str(child_id))]
        _, location = post_with_faults(client, f"/children/{child_id}/assessments/new", start, tally, rng, False)
        base = urllib.parse.urlparse(location).path
        sections = [
            ("visit", helpers.visit_data()),
            ("people", helpers.people_data()),
            ("rooms", helpers.rooms_data(definition)),
            *[(d.id, helpers.domain_data(definition, d.id, default=rng.choice("123"))) for d in definition.domains],
            ("voice", helpers.voice_data()),
            ("actions", helpers.actions_data()),
        ]
        for section_id, data in sections:
            html = client.send("GET", f"{base}/sections/{section_id}")[2]
            fields = [
                ("version", client.field(html, "version")),
                ("save_key", client.field(html, "save_key")),
                ("save", "x"),
                *flatten(data),
            ]
            with tally.lock:
                tally.expected_saves += 1
            post_with_faults(client, f"{base}/sections/{section_id}", fields, tally, rng, True)
        check = client.send("GET", f"{base}/check")[2]
        submit = [
            ("version", client.field(check, "version")),
            ("submission_key", client.field(check, "submission_key")),
        ]
        post_with_faults(client, f"{base}/submit", submit, tally, rng, False)


def reader(port: int, email: str, paths: list[str], tally: Tally, stop: threading.Event) -> None:
    client = Client(port)
    client.token = client.field(client.send("GET", "/sign-in")[2], "csrf_token")
    client.send("POST", "/sign-in", [("email", email), ("password", PASSWORD)])
    while not stop.is_set():
        for path in paths:
            tally.add(client.send("GET", path)[0])


def run(database_url: str, label: str, tmp: str) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HEAT_SECRET_KEY": "bench-secret",
        "HEAT_HUEY_SQLITE": f"{tmp}/huey-{label}.db",
        "HEAT_EXPORT_DIR": f"{tmp}/exports",
        "FLASK_APP": "app:create_app",
    }
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "HEAT_SECRET_KEY", "HEAT_HUEY_SQLITE", "HEAT_EXPORT_DIR")})
    from app import create_app
    from heat.extensions import db
    from heat.models import Assessment, Child, SectionSave, Team, User
    from heat.services.passwords import hash_password

    app = create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")})
    with app.app_context():
        team = Team(name=f"Bench {uuid.uuid4().hex[:6]}")
        db.session.add(team)
        password = hash_password(PASSWORD)
        people = [
            User(
                email=f"bench-{n}-{team.name[-6:]}@example.org",
                name=f"Bench {n}",
                role="practitioner",
                team=team,
                password_hash=password,
            )
            for n in range(SAVERS)
        ]
        boss = User(
            email=f"bench-boss-{team.name[-6:]}@example.org",
            name="Bench supervisor",
            role="supervisor",
            team=team,
            password_hash=password,
        )
        kids = [
            Child(
                reference=f"B-{uuid.uuid4().hex[:8]}",
                first_name="Bench",
                last_name=f"Child{n}",
                date_of_birth=dt.date.today() - dt.timedelta(days=300),
                team=team,
                plan_status="cp",
                plan_category="neglect",
            )
            for n in range(SAVERS)
        ]
        db.session.add_all([*people, boss, *kids])
        db.session.commit()
        emails, child_ids, boss_email = [u.email for u in people], [c.id for c in kids], boss.email
        definition = app.extensions["heat_definitions"][app.extensions["heat_current_version"]]

    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    number = port.getsockname()[1]
    port.close()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{number}",
            "--workers",
            WORKERS,
            "--no-control-socket",
            "--log-level",
            "critical",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", number), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        tally, stop = Tally(), threading.Event()
        savers = [
            threading.Thread(target=saver, args=(number, emails[i], child_ids[i], definition, tally, i))
            for i in range(SAVERS)
        ]
        readers = [
            threading.Thread(
                target=reader,
                args=(
                    number,
                    boss_email if i == 0 else emails[i],
                    ["/caseload", f"/children/{child_ids[i]}", "/dashboard"],
                    tally,
                    stop,
                ),
            )
            for i in range(READERS)
        ]
        began = time.perf_counter()
        for t in savers + readers:
            t.start()
        for t in savers:
            t.join()
        elapsed = time.perf_counter() - began
        stop.set()
        for t in readers:
            t.join()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()

    with app.app_context():
        from sqlalchemy import func, select

        drafts = db.session.scalars(
            select(Assessment).where(Assessment.team_id.in_(select(Team.id).where(Team.name == team.name)))
        ).all()
        stored_saves = db.session.scalar(
            select(func.count()).select_from(SectionSave).where(SectionSave.assessment_id.in_([a.id for a in drafts]))
        )
        sections = len(definition.domains) + 5
        lost = sum(sections - sum(1 for s in (a.section_status or {}).values() if s == "completed") for a in drafts)
        lost += SAVERS * VISITS_EACH - len(drafts) if len(drafts) < SAVERS * VISITS_EACH else 0
        lost += sum(1 for a in drafts if a.status != "submitted")
        duplicated = max(0, len(drafts) - SAVERS * VISITS_EACH) + max(0, stored_saves - tally.expected_saves)
        duplicated += sum(max(0, v - 1) for a in drafts for v in (a.section_versions or {}).values())
        db.engine.dispose()
    times = sorted(tally.save_times)
    q = statistics.quantiles(times, n=100)
    print(
        f"\n{label}: {SAVERS} savers + {READERS} readers, gunicorn {WORKERS} workers, {CUT:.0%} of posts cut and resent"
    )
    print(
        f"  section saves: {len(times)} in {elapsed:.1f} s = {len(times) / elapsed:.1f} saves/s"
        f"  (p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms)"
    )
    print(f"  connections cut and retried: {tally.cuts}; page loads while saving: {len(tally.statuses) - len(times)}")
    fives = sum(1 for s in tally.statuses if s >= 500)
    print(
        f"  lost {lost}   duplicated {duplicated}   5xx {fives}   false conflicts {tally.false_conflicts}"
        "   (all must be 0)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.db", "SQLite", tmp)
        if os.environ.get("BENCH_POSTGRES_URL"):
            run(os.environ["BENCH_POSTGRES_URL"], "PostgreSQL", tmp)
        else:
            print("\nPostgreSQL: set BENCH_POSTGRES_URL to an empty database to run the same load there")


if __name__ == "__main__":
    main()
