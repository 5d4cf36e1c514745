"""The Practice quality page's time for one team of 50 practitioners and 5,000 children, as a ratio
to the team dashboard's in the same run. Prints figures; asserts nothing.

The data is bench/scale.py's generator (every visit scored by the real scoring code) for one team,
its visits then shared out between the team's 50 practitioners. The page is timed over its default
period (the last three months), the dashboard on its first page, in alternating rounds (one of
each per round, after one of each to warm up), so that other load on a shared machine falls on
both alike; the ratio printed is the median of the rounds' ratios.

Run: .venv/bin/python bench/practice_quality.py [--small] [--database-url postgresql://...]
--database-url names an empty PostgreSQL database: it is emptied first.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from flask_migrate import upgrade  # noqa: E402
from scale import empty, make_app, signed_in  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402

from heat.database import writing  # noqa: E402
from heat.extensions import db  # noqa: E402
from heat.models import Assessment, User  # noqa: E402
from heat.services import scale  # noqa: E402

FULL = {"practitioners": 50, "children": 5_000, "visits": 30_000}  # about 6 visits a child, every 14 days
SMALL = {"practitioners": 5, "children": 500, "visits": 3_000}
ROUNDS = 7


def seed(sizes: dict) -> None:
    info = scale.generate(teams=1, children=sizes["children"], visits=sizes["visits"])
    team_id = info["team"]
    password = db.session.scalar(select(User.password_hash).where(User.role == "supervisor"))
    db.session.add_all(
        User(
            email=f"practitioner{team_id}-{n}@scale.example.org",
            name=f"Scale practitioner {n:02d}",
            role="practitioner",
            team_id=team_id,
            password_hash=password,
        )
        for n in range(2, sizes["practitioners"] + 1)
    )
    db.session.flush()
    ids = list(db.session.scalars(select(User.id).where(User.role == "practitioner").order_by(User.id)))
    for n, practitioner in enumerate(ids):  # each practitioner makes every 50th visit
        db.session.execute(update(Assessment).where(Assessment.id % len(ids) == n).values(created_by_id=practitioner))
    db.session.commit()


def timed(client, url: str) -> tuple[float, float]:
    """The wall time and CPU time of one request. The pages run in this process (the test client,
    SQLite in-process too), so the CPU time is the page's own work, which other load on a shared
    machine stretches much less than the wall time."""
    wall, cpu = time.perf_counter(), time.process_time()
    assert client.get(url).status_code == 200, url
    return time.perf_counter() - wall, time.process_time() - cpu


def rounds(client, urls: tuple[str, str]) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Each round times the first page then the second, after one of each to warm up."""
    for url in urls:
        timed(client, url)
    return [(timed(client, urls[0]), timed(client, urls[1])) for _ in range(ROUNDS)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="5 practitioners and 500 children")
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: a new SQLite file)")
    args = parser.parse_args()
    sizes = SMALL if args.small else FULL
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/practice.db"
        app = make_app(url, tmp)
        empty(app)
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            with writing():
                seed(sizes)
            seeded = time.perf_counter() - started
            visits = db.session.scalar(select(func.count()).select_from(Assessment))
            supervisor = db.session.scalar(select(User.email).where(User.role == "supervisor"))
            db.engine.dispose()
        client = signed_in(app, supervisor)
        timings = rounds(client, ("/dashboard", "/practice"))
        print(f"database: {url.split(':')[0]}")
        print(
            f"one team: {sizes['practitioners']} practitioners, {sizes['children']:,} children, "
            f"{visits:,} visits (seeded in {seeded:.0f} s)"
        )
        print(f"{ROUNDS} alternating rounds, medians:")
        for n, name in enumerate(("dashboard (first page)", "practice quality (last 3 months)")):
            wall = statistics.median(t[n][0] for t in timings)
            cpu = statistics.median(t[n][1] for t in timings)
            print(f"{name}: {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU")
        wall_ratio = statistics.median(p[0] / d[0] for d, p in timings)
        cpu_ratio = statistics.median(p[1] / d[1] for d, p in timings)
        print(f"practice / dashboard: {wall_ratio:.1f}x wall time, {cpu_ratio:.1f}x CPU time")


if __name__ == "__main__":
    main()
