"""Memory of the audit trail's CSV download: seeds N audit rows, then downloads the whole trail as
CSV in a fresh process and prints its peak memory, at each size asked for. Prints figures;
asserts nothing.

The rows go in fast (one executemany a batch), as requests append them (no hash), and the app's
own sealer (`audit.seal`) then chains them, so `flask audit verify` still holds (checked at the
end).

Run: .venv/bin/python bench/audit_csv.py [N ...]          (default: 100000 2000000, on SQLite)
     BENCH_POSTGRES_URL=postgresql://... .venv/bin/python bench/audit_csv.py   (an empty database)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argon2 import PasswordHasher  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from app import create_app  # noqa: E402
from heat.database import writing  # noqa: E402
from heat.extensions import db  # noqa: E402
from heat.models import AuditEvent, Child, Team, User  # noqa: E402
from heat.services import audit, passwords  # noqa: E402

SIZES = [100_000, 2_000_000]
TARGET_ROWS, TARGET_MB = 2_000_000, 200
BATCH = 10_000
PASSWORD = "audit-csv-bench-password"
EMAIL = "auditor@bench.example"
ACTIONS = ["child_viewed", "assessment_viewed", "caseload_viewed", "section_saved", "dashboard_viewed"]


def make_app(url: str):
    passwords.configure(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "HEAT_ENV": "development",
            "HEAT_HUEY": "immediate",
            "HEAT_LOGIN_FAILURES_PER_ADDRESS": 10_000,
        }
    )


def prepare(url: str) -> None:
    app = make_app(url)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        with writing():
            team = Team(name="Bench")
            db.session.add(team)
            db.session.flush()
            db.session.add(User(email=EMAIL, name="Bench Auditor", role="auditor", password_hash=""))
            for n in range(20):
                db.session.add(
                    User(
                        email=f"worker{n}@bench.example",
                        name="W",
                        role="practitioner",
                        team_id=team.id,
                        password_hash="",
                    )
                )
                db.session.add(
                    Child(
                        reference=f"B-{n:05d}",
                        first_name="Bench",
                        last_name="Child",
                        date_of_birth=dt.date(2024, 1, 1),
                        team_id=team.id,
                        plan_status="cp",
                    )
                )
            db.session.flush()
            db.session.get_one(
                User, db.session.scalar(select(User.id).where(User.email == EMAIL))
            ).password_hash = passwords.hash_password(PASSWORD)
            db.session.commit()
        db.engine.dispose()


def seed(url: str, rows: int) -> float:
    """Append `rows` chained audit rows after whatever is there; returns seconds taken."""
    app = make_app(url)
    started = time.perf_counter()
    with app.app_context(), writing():
        users = list(db.session.scalars(select(User.id).order_by(User.id)))
        children = list(db.session.scalars(select(Child.id).order_by(Child.id)))
        connection = db.session.connection()
        first = dt.datetime(2025, 1, 1)
        done = db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        batch = []
        for n in range(done, done + rows):
            values = {
                "at": first + dt.timedelta(seconds=n * 15),
                "user_id": users[n % len(users)],
                "action": ACTIONS[n % len(ACTIONS)],
                "child_id": children[n % len(children)] if n % 2 else None,
                "assessment_id": None,
                "target_user_id": None,
                "email_tried": None,
                "address": "192.0.2.10",
                "detail": f"bench row {n}: a detail about as long as the app's usual ones",
                "scheme": audit.KEYED,
            }
            batch.append(values)
            if len(batch) == BATCH:
                connection.execute(audit._INSERT, batch)
                batch.clear()
        if batch:
            connection.execute(audit._INSERT, batch)
        db.session.commit()
        audit.seal(batch=BATCH)
        db.engine.dispose()
    return time.perf_counter() - started


def measure(url: str) -> dict:
    """In this (fresh) process: sign in, download the whole trail's CSV, report memory."""
    app = make_app(url)
    client = app.test_client()
    html = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    assert client.post("/sign-in", data={"csrf_token": token, "email": EMAIL, "password": PASSWORD}).status_code == 302
    client.get("/audit/export.csv?user=nobody@bench.example").close()  # warm: code paths loaded once
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    started = time.perf_counter()
    response = client.get("/audit/export.csv")
    size = lines = 0
    for chunk in response.iter_encoded():
        size += len(chunk)
        lines += chunk.count(b"\n")
    response.close()
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "streamed": response.is_streamed,
        "rows": lines - 1,
        "mb": size / 1e6,
        "seconds": seconds,
        "traced_peak_mb": peak / 1e6,
        "rss_before_mb": before / 1024,
        "rss_peak_mb": after / 1024,
    }


def verify(url: str) -> str:
    app = make_app(url)
    with app.app_context():
        count, broken = audit.verify()
        db.engine.dispose()
    return f"{count} rows, chain {'holds' if broken is None else f'broken at {broken.row_id}'}"


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or SIZES
    postgres = os.environ.get("BENCH_POSTGRES_URL")
    with tempfile.TemporaryDirectory() as folder:
        url = (
            postgres.replace("postgresql://", "postgresql+psycopg://", 1)
            if postgres
            else f"sqlite:///{Path(folder) / 'audit-csv.db'}"
        )
        print(f"Audit CSV download on {'PostgreSQL' if postgres else 'SQLite'}: the whole trail, one request")
        prepare(url)
        have, results = 0, []
        for size in sorted(sizes):
            seconds = seed(url, size - have)
            have = size
            run = subprocess.run(
                [sys.executable, __file__, "--measure", url], capture_output=True, text=True, check=True
            )
            result = json.loads(run.stdout.strip().splitlines()[-1])
            results.append((size, result))
            grown = result["rss_peak_mb"] - result["rss_before_mb"]
            print(
                f"{size:>9,} rows (seeded in {seconds:.0f} s): {result['rows']:,} rows, {result['mb']:.0f} MB of CSV "
                f"in {result['seconds']:.1f} s (under tracemalloc), streamed={result['streamed']}; "
                f"Python peak {result['traced_peak_mb']:.1f} MB; process RSS {result['rss_before_mb']:.0f} MB "
                f"before, {result['rss_peak_mb']:.0f} MB peak (+{grown:.0f} MB)"
            )
        print(f"Trail after: {verify(url)}")
    measured = [(size, r) for size, r in results if size >= TARGET_ROWS]
    if measured:
        size, r = measured[0]
        print(
            f"Target: the audit CSV of {TARGET_ROWS:,} rows in under {TARGET_MB} MB peak memory: "
            f"{'met' if r['rss_peak_mb'] < TARGET_MB else 'NOT met'} ({r['rss_peak_mb']:.0f} MB process peak at "
            f"{size:,} rows, measured)"
        )
    elif len(results) >= 2:
        (small, a), (large, b) = results[0], results[-1]
        per_row = (b["rss_peak_mb"] - a["rss_peak_mb"]) / (large - small)
        estimate = b["rss_peak_mb"] + per_row * (TARGET_ROWS - large)
        print(
            f"Extrapolated from {small:,} and {large:,} rows (measured; {TARGET_ROWS:,} not run): "
            f"{per_row * 1e6:.1f} bytes more peak RSS a row, so about {estimate:.0f} MB at {TARGET_ROWS:,} rows "
            f"(target under {TARGET_MB} MB); before streaming it was about 2.2 KB a row (issue 27)."
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        print(json.dumps(measure(sys.argv[2])))
    else:
        main()
