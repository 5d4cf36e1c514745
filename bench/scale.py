"""Speed at scale: dashboard and child page at 1x and 10x data, queries per page, PDF render times
and export throughput. Prints figures (ratios within one run); asserts nothing.

1x = 5 teams of 100 children (500), 10,000 visits and 100,000 audit rows; 10x = 20 teams of 250
children (5,000), 100,000 visits and 1,000,000 audit rows. Teams grow as well as their number, as
a council's do, so a team's own pages (dashboard, caseload) see 2.5x the children and the trail
that every page writes to is 10x as long.

The export is measured over at least 1,000 stored assessments (two exports of about 500, built
at once by two worker processes): assessments exported / the wall time from both builds starting
to both finishing. Their PDFs are rendered first, by the same two processes, and timed apart.

Run: make bench   (or: .venv/bin/python bench/scale.py [--small] [--database-url postgresql://...])
--database-url names an empty PostgreSQL database: it is emptied before each size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import audit_csv  # noqa: E402  (chained audit rows, seeded as that bench does)
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, func, select, text  # noqa: E402

from app import create_app  # noqa: E402
from heat.checklist.vocabulary import RECORDED
from heat.database import writing  # noqa: E402
from heat.extensions import db  # noqa: E402
from heat.models import Assessment, AuditEvent, Child, Export, User
from heat.reports.pdf import render_pdf  # noqa: E402
from heat.services import exports, scale, versions  # noqa: E402

# (teams, children, visits, audit rows)
SCALES = {1: (5, 500, 10_000, 100_000), 10: (20, 5_000, 100_000, 1_000_000)}
SMALL = {1: (2, 100, 1_000, 10_000), 10: (8, 1_000, 10_000, 100_000)}
RUNS = 15  # a page's time is the fastest of these: what it costs, not what else the machine was doing
EXPORTED = {False: 1_000, True: 200}  # at least this many assessments in the export measured (--small: 200)


def make_app(url: str, folder: str):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "HEAT_ENV": "development",
            "HEAT_EXPORT_DIR": f"{folder}/exports",
            "HEAT_HUEY": f"{folder}/huey.db",  # nothing runs it: the bench renders and builds itself
            "HEAT_LOGIN_FAILURES_PER_ADDRESS": 10_000,
        }
    )
    return app


def empty(app) -> None:
    """A PostgreSQL database is emptied before each size (a SQLite file is new each time)."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))


def signed_in(app, email: str):
    client = app.test_client()
    html = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    assert (
        client.post(
            "/sign-in", data={"csrf_token": token, "email": email, "password": "scale-test-password"}
        ).status_code
        == 302
    )
    return client


def timed(client, url: str, engine) -> tuple[float, int]:
    for _ in range(3):
        assert client.get(url).status_code == 200, url
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        client.get(url)
        samples.append(time.perf_counter() - start)
    statements = []
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    client.get(url)
    event.remove(engine, "before_cursor_execute", listener)
    return min(samples), len(statements)


def measure(factor: int, sizes, url: str, tmp: str) -> dict:
    app = make_app(url, tmp)
    empty(app)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        with writing():
            info = scale.generate(teams=sizes[0], children=sizes[1], visits=sizes[2])
        generated = time.perf_counter() - started
        db.engine.dispose()
    audit_seconds = audit_csv.seed(url, sizes[3])
    with app.app_context():
        trail = db.session.scalar(select(func.count()).select_from(AuditEvent))
        engine = db.engine
        typical = db.session.scalar(
            select(Child.id)
            .where(Child.team_id == info["team"], Child.id != info["long_history_child"])
            .order_by(Child.id)
            .limit(1)
        )
    supervisor = signed_in(app, info["supervisor"])
    auditor = signed_in(app, "auditor@scale.example.org")
    results = {"generated": generated, "audit_seconds": audit_seconds, "trail": trail, "app": app, "info": info}
    results["dashboard"] = timed(supervisor, "/dashboard", engine)
    results["dashboard_flagged"] = timed(supervisor, "/dashboard?show=flagged&sort=flags", engine)
    results["auditor_dashboard"] = timed(auditor, f"/dashboard?team={info['team']}", engine)
    results["child"] = timed(supervisor, f"/children/{typical}", engine)
    results["caseload"] = timed(supervisor, "/caseload", engine)
    return results


def pdf_times(app, info) -> tuple[float, float, float, int]:
    """Rendering one visit's PDF (what the worker does for each version kept), downloading it
    (the stored bytes), and rendering a 50-visit child history."""
    client = signed_in(app, info["supervisor"])
    with app.test_request_context(), app.app_context():
        one = db.session.get_one(Assessment, db.session.scalar(select(Assessment.id).order_by(Assessment.id).limit(1)))
        rendered = []
        for _ in range(5):
            start = time.perf_counter()
            render_pdf(
                "reports/assessment.html",
                generated_by="bench",
                generated_at=one.submitted_at,
                **versions.record_context(one),
            )
            rendered.append(time.perf_counter() - start)
        one_id = one.id
        versions.backfill([one_id])  # its first version, and its PDF, as the worker stores them
        versions.render_missing([one_id])
    served = []
    for _ in range(5):
        start = time.perf_counter()
        assert client.get(f"/assessments/{one_id}/pdf").status_code == 200
        served.append(time.perf_counter() - start)
    start = time.perf_counter()
    response = client.get(f"/children/{info['long_history_child']}/history.pdf")
    history = time.perf_counter() - start
    assert response.status_code == 200
    return statistics.median(rendered), statistics.median(served), history, len(response.data)


def exported(app, teams: list[int], days: int) -> list[int]:
    today = dt.date.today()
    with app.app_context():
        return list(
            db.session.scalars(
                select(Assessment.id)
                .where(
                    Assessment.team_id.in_(teams),
                    Assessment.visit_date >= today - dt.timedelta(days=days),
                    Assessment.status.in_(RECORDED),
                )
                .order_by(Assessment.id)
            )
        )


def export_window(app, teams: list[int], least: int) -> int:
    """The fewest days back that put at least `least` assessments of these teams in the export."""
    days = 14
    while len(exported(app, teams, days)) < least and days < 3650:
        days += 14
    return days


def _pdf_worker(url: str, folder: str, ids: list[int], ready, go, timings) -> None:
    app = make_app(url, folder)
    with app.test_request_context(), app.app_context():
        ready.put(True)
        go.wait()
        start = time.perf_counter()
        versions.backfill(ids)
        versions.render_missing(ids)
        timings.put(time.perf_counter() - start)


def _export_worker(url: str, folder: str, export_id: int, ready, go, timings) -> None:
    app = make_app(url, folder)
    with app.app_context():
        ready.put(True)
        go.wait()
        start = time.perf_counter()
        exports.build(export_id)
        timings.put(time.perf_counter() - start)


def in_two_processes(target, args_each: list[tuple]) -> tuple[float, list[float]]:
    """Run `target` in two worker processes started first, then let both go at once: the wall time
    from the go to the last one finishing, and each one's own time."""
    context = multiprocessing.get_context("spawn")
    ready, go, timings = context.Queue(), context.Event(), context.Queue()
    processes = [context.Process(target=target, args=(*args, ready, go, timings)) for args in args_each]
    for p in processes:
        p.start()
    for _ in processes:
        ready.get()  # both have built their app and wait on `go` (start-up is not the work measured)
    start = time.perf_counter()
    go.set()
    each = [timings.get() for _ in processes]
    elapsed = time.perf_counter() - start
    for p in processes:
        p.join()
    return elapsed, each


def store_pdfs(app, url: str, folder: str, teams: list[int], days: int) -> tuple[int, float]:
    """The synthetic load is bulk-inserted, so its records have no version or stored PDF (a real
    one has them from its submission on): the two worker processes render them first, each
    half, timed apart from the export."""
    ids = exported(app, teams, days)
    elapsed, _ = in_two_processes(_pdf_worker, [(url, folder, ids[0::2]), (url, folder, ids[1::2])])
    return len(ids), elapsed


def export_throughput(app, url: str, folder: str, teams: list[int], days: int) -> tuple[int, float, list[float]]:
    """Two exports (one a team) built at once by two worker processes: the assessments exported,
    the wall time from both starting to both finishing, and each build's own time."""
    with app.app_context(), writing():
        auditor = db.session.scalar(select(User).where(User.role == "auditor"))
        today = dt.date.today()
        ids = []
        for team_id in teams:
            export = exports.create(auditor, [team_id], today - dt.timedelta(days=days), today)
            ids.append(export.id)
        db.session.commit()
    elapsed, builds = in_two_processes(_export_worker, [(url, folder, i) for i in ids])
    with app.app_context():
        total = sum(db.session.get_one(Export, i).total for i in ids if db.session.get_one(Export, i).status == "done")
    return total, elapsed, builds


def main() -> None:
    parser = argparse.ArgumentParser(description="Speed at 1x and 10x data")
    parser.add_argument("--small", action="store_true", help="a tenth of the sizes, for a quick look")
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite files)")
    args = parser.parse_args()
    sizes = SMALL if args.small else SCALES
    postgres = args.database_url.replace("postgresql://", "postgresql+psycopg://", 1) if args.database_url else None
    with tempfile.TemporaryDirectory() as tmp:
        urls = {factor: postgres or f"sqlite:///{tmp}/scale-{factor}.db" for factor in sizes}
        results = {}
        for factor, size in sizes.items():
            results[factor] = measure(factor, size, urls[factor], tmp)
            if factor == 1:
                # the page timings are taken; on PostgreSQL the next size replaces this one
                with results[1].pop("app").app_context():
                    db.engine.dispose()
        print(f"\nDatabase: {'PostgreSQL' if postgres else 'SQLite'}")
        for factor, size in sizes.items():
            r = results[factor]
            print(
                f"{factor}x: {size[0]} teams of {size[1] // size[0]} children ({size[1]}), {size[2]} visits, "
                f"{r['trail']:,} audit rows; generated in {r['generated']:.1f} s (real scoring and trend rules), "
                f"audit rows in {r['audit_seconds']:.1f} s"
            )
        print(
            f"\n{'page (fastest of ' + str(RUNS) + ')':<34}{'1x ms':>9}{'10x ms':>9}{'10x/1x':>9}{'queries 1x':>12}"
            f"{'10x':>6}   target: ratio <= 1.5, queries equal"
        )
        for page in ("dashboard", "dashboard_flagged", "auditor_dashboard", "child", "caseload"):
            (t1, q1), (t10, q10) = results[1][page], results[10][page]
            print(f"{page:<34}{t1 * 1000:>9.1f}{t10 * 1000:>9.1f}{t10 / t1:>9.2f}{q1:>12}{q10:>6}")
        app, info = results[10]["app"], results[10]["info"]
        rendered, served, history, size = pdf_times(app, info)
        print(
            f"\nPDF, one visit: rendered in {rendered:.2f} s (by the worker, after the submit; target < 1 s); "
            f"downloaded (the stored bytes) in {served * 1000:.0f} ms"
        )
        print(f"PDF, child history of 50 visits: {history:.2f} s, {size / 1024:.0f} KB (target < 5 s)")
        teams = [info["team"] + 1, info["team"] + 2]  # two teams of the 10x load (not the long-history child's)
        days = export_window(app, teams, EXPORTED[args.small])
        made, storing = store_pdfs(app, urls[10], tmp, teams, days)
        print(
            f"PDFs of the {made} bulk-loaded records to export, rendered first by 2 worker processes: "
            f"{storing:.1f} s = {made / storing:.1f} PDFs/s"
        )
        total, elapsed, builds = export_throughput(app, urls[10], tmp, teams, days)
        print(
            f"Export of {total} stored assessments (2 teams, {days} days, one export each) built at once by 2 worker"
            f" processes (2 cores): {elapsed:.2f} s from both starting to both done = {total / elapsed:.0f}"
            f" assessments/s (target >= 100: the stored PDFs are zipped); builds took "
            + " and ".join(f"{b:.2f} s" for b in builds)
        )
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
