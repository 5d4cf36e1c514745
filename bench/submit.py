"""How long "Submit assessment" takes to answer, on a quiet machine.

One practitioner fills whole assessments (not timed) and submits each; only the submit POST is
timed, through the app's own WSGI stack (Flask's test client: no network, no other load). The
PDF is then rendered by the worker (the queue is drained here, as `huey_consumer` would), and
the time each render took is printed apart, with how long after the submit the PDF was ready.
Run on a commit before the worker rendered PDFs, the same script shows the submit with the
render inside it (nothing is left in the queue).

Run: .venv/bin/python bench/submit.py [--visits 20] [--database-url postgresql://...]
(an empty PostgreSQL database; SQLite in a temporary folder by default). Asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import helpers  # noqa: E402  (the same plain form data the tests post)

PASSWORD = "bench-password-not-real-2026"


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else [ordered[0]] * 99
    return f"p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"


class Clock:
    """Wall time and this process's CPU time of a step: on a shared machine the CPU time says
    what the step costs, the wall time what the practitioner waited."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __enter__(self) -> Clock:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall.append(time.perf_counter() - self._wall)
        self.cpu.append(time.process_time() - self._cpu)

    def __str__(self) -> str:
        return f"{percentiles(self.wall)} (CPU {percentiles(self.cpu)})"


def run(database_url: str, tmp: str, visits: int) -> None:
    os.environ.update({"HEAT_SECRET_KEY": "bench-secret-not-real-0123456789abcdef", "HEAT_ENV": "development"})
    from flask_migrate import upgrade

    from app import create_app
    from heat.extensions import db, huey
    from heat.models import Child, Team, User
    from heat.services.passwords import hash_password

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url.replace("postgresql://", "postgresql+psycopg://", 1),
            "HEAT_HUEY": f"{tmp}/huey.db",  # a real queue: tasks wait for a worker
            "HEAT_EXPORT_DIR": f"{tmp}/exports",
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        team = Team(name=f"Bench {uuid.uuid4().hex[:6]}")
        user = User(
            email=f"bench-{uuid.uuid4().hex[:6]}@example.org",
            name="Bench Practitioner",
            role="practitioner",
            team=team,
            password_hash=hash_password(PASSWORD),
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
            for n in range(visits)
        ]
        db.session.add_all([team, user, *kids])
        db.session.commit()
        email, child_ids = user.email, [c.id for c in kids]
        definition = app.extensions["heat_definitions"][app.extensions["heat_current_version"]]

    client = app.test_client()
    token = helpers.field_value(client.get("/sign-in").get_data(as_text=True), "csrf_token")
    client.post("/sign-in", data={"csrf_token": token, "email": email, "password": PASSWORD})
    client.token = helpers.field_value(client.get("/caseload").get_data(as_text=True), "csrf_token")  # type: ignore[attr-defined]

    submits = Clock()
    submitted_at: dict[int, float] = {}
    for child_id in child_ids:
        assessment_id = helpers.start(client, child_id)
        helpers.complete(client, assessment_id, definition)
        html = client.get(f"/assessments/{assessment_id}/check").get_data(as_text=True)
        data = {
            "csrf_token": client.token,  # type: ignore[attr-defined]
            "version": helpers.field_value(html, "version"),
            "submission_key": helpers.field_value(html, "submission_key"),
        }
        with submits:
            response = client.post(f"/assessments/{assessment_id}/submit", data=data)
        submitted_at[assessment_id] = time.perf_counter()
        assert response.status_code == 302, response.status_code

    renders = Clock()
    with app.app_context():
        waiting = huey.pending_count()
        while (task := huey.dequeue()) is not None:
            with renders:
                huey.execute(task)
        ready_after = time.perf_counter() - min(submitted_at.values())
        db.engine.dispose()

    label = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    print(f"\n{label}: {visits} assessments submitted one after another by one practitioner")
    print(f"  submit answered in: {submits}")
    if renders.wall:
        print(f"  PDFs left to the worker: {waiting}; each render took {renders}")
        print(f"  every PDF stored {ready_after:.1f} s after the first submit (one worker, renders after all submits)")
    else:
        print("  PDFs left to the worker: 0 (rendered inside each submit)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=20)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(args.database_url or f"sqlite:///{tmp}/bench.db", tmp, args.visits)


if __name__ == "__main__":
    main()
