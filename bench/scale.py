"""Speed at scale: dashboard and child page at 1x and 10x data, queries per page, PDF render times
and export throughput. Prints figures (ratios within one run); asserts nothing.

1x = 5 teams, 500 children, 10,000 visits; 10x = 50 teams, 5,000 children, 100,000 visits
(100 children a team either way: pages are paginated, so 10x data should cost no more).
Run: make bench   (or: .venv/bin/python bench/scale.py [--small] for a quick look)
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from app import create_app  # noqa: E402
from heat.database import writing  # noqa: E402
from heat.extensions import db  # noqa: E402
from heat.models import RECORDED, Assessment, Child, Export, User  # noqa: E402
from heat.reports.pdf import render_pdf  # noqa: E402
from heat.services import exports, scale, versions  # noqa: E402

SCALES = {1: (5, 500, 10_000), 10: (50, 5_000, 100_000)}
SMALL = {1: (2, 100, 1_000), 10: (20, 1_000, 10_000)}
RUNS = 15


def make_app(path: str):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SECRET_KEY": "bench",
            "HEAT_ENV": "development",
            "HEAT_EXPORT_DIR": str(Path(path).parent / "exports"),
            "HEAT_LOGIN_FAILURES_PER_ADDRESS": 10_000,
        }
    )
    return app


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
    return statistics.median(samples), len(statements)


def measure(factor: int, sizes, tmp: str) -> dict:
    path = f"{tmp}/scale-{factor}.db"
    app = make_app(path)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        with writing():
            info = scale.generate(teams=sizes[0], children=sizes[1], visits=sizes[2])
        generated = time.perf_counter() - started
        engine = db.engine
        typical = db.session.scalar(
            select(Child.id)
            .where(Child.team_id == info["team"], Child.id != info["long_history_child"])
            .order_by(Child.id)
            .limit(1)
        )
    supervisor = signed_in(app, info["supervisor"])
    auditor = signed_in(app, "auditor@scale.example.org")
    results = {"generated": generated, "app": app, "info": info}
    results["dashboard"] = timed(supervisor, "/dashboard", engine)
    results["dashboard_flagged"] = timed(supervisor, "/dashboard?show=flagged&sort=flags", engine)
    results["auditor_dashboard"] = timed(auditor, f"/dashboard?team={info['team']}", engine)
    results["child"] = timed(supervisor, f"/children/{typical}", engine)
    results["caseload"] = timed(supervisor, "/caseload", engine)
    return results


def pdf_times(app, info) -> tuple[float, float, float, int]:
    """Rendering one visit's PDF (as a submission or decision does, to store it), downloading it
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
    assert client.get(f"/assessments/{one_id}/pdf").status_code == 200  # stores its first version
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


def _export_worker(path: str, export_id: int, timings) -> None:
    app = make_app(path)
    with app.app_context():
        start = time.perf_counter()
        exports.build(export_id)
        timings.put(time.perf_counter() - start)


def store_pdfs(app, workers: int = 2, days: int = 14) -> tuple[int, float]:
    """The synthetic load is bulk-inserted, so its records have no stored PDF (a real one is
    stored when it is submitted and decided): store them first, timed apart from the export."""
    today = dt.date.today()
    with app.test_request_context(), app.app_context():
        ids = list(
            db.session.scalars(
                select(Assessment.id).where(
                    Assessment.team_id.in_(range(1, workers + 1)),
                    Assessment.visit_date >= today - dt.timedelta(days=days),
                    Assessment.status.in_(RECORDED),
                )
            )
        )
        start = time.perf_counter()
        made = versions.backfill(ids)
        return made, time.perf_counter() - start


def export_throughput(app, path: str, workers: int = 2, days: int = 14) -> tuple[int, float, float]:
    """Assessments exported, the wall time with the worker processes' start-up, and the longest
    build itself (what a running worker spends on an export)."""
    with app.app_context(), writing():
        auditor = db.session.scalar(select(User).where(User.role == "auditor"))
        today = dt.date.today()
        ids = []
        for team_id in range(1, workers + 1):
            export = exports.create(auditor, [team_id], today - dt.timedelta(days=days), today)
            ids.append(export.id)
        db.session.commit()
    context = multiprocessing.get_context("spawn")
    timings = context.Queue()
    start = time.perf_counter()
    processes = [context.Process(target=_export_worker, args=(path, i, timings)) for i in ids]
    for p in processes:
        p.start()
    builds = [timings.get() for _ in processes]
    for p in processes:
        p.join()
    elapsed = time.perf_counter() - start
    with app.app_context():
        total = sum(db.session.get(Export, i).total for i in ids if db.session.get(Export, i).status == "done")
    return total, elapsed, max(builds)


def main() -> None:
    sizes = SMALL if "--small" in sys.argv else SCALES
    with tempfile.TemporaryDirectory() as tmp:
        results = {factor: measure(factor, s, tmp) for factor, s in sizes.items()}
        print(
            f"\nData: 1x = {sizes[1][0]} teams / {sizes[1][1]} children / {sizes[1][2]} visits; "
            f"10x = {sizes[10][0]} / {sizes[10][1]} / {sizes[10][2]}"
        )
        print(
            f"Generated (real scoring and trend rules): 1x {results[1]['generated']:.1f} s, "
            f"10x {results[10]['generated']:.1f} s\n"
        )
        print(
            f"{'page':<34}{'1x ms':>9}{'10x ms':>9}{'10x/1x':>9}{'queries 1x':>12}{'10x':>6}"
            "   target: ratio <= 1.5, queries equal"
        )
        for page in ("dashboard", "dashboard_flagged", "auditor_dashboard", "child", "caseload"):
            (t1, q1), (t10, q10) = results[1][page], results[10][page]
            print(f"{page:<34}{t1 * 1000:>9.1f}{t10 * 1000:>9.1f}{t10 / t1:>9.2f}{q1:>12}{q10:>6}")
        rendered, served, history, size = pdf_times(results[10]["app"], results[10]["info"])
        print(
            f"\nPDF, one visit: rendered (and stored) in {rendered:.2f} s (target < 1 s); "
            f"downloaded (the stored bytes) in {served * 1000:.0f} ms"
        )
        print(f"PDF, child history of 50 visits: {history:.2f} s, {size / 1024:.0f} KB (target < 5 s)")
        made, storing = store_pdfs(results[10]["app"])
        print(f"Stored PDFs made for {made} bulk-loaded records before the export: {storing:.1f} s")
        total, elapsed, building = export_throughput(results[10]["app"], f"{tmp}/scale-10.db")
        print(
            f"Export on 2 worker processes (2 cores): {total} assessments in {building:.2f} s of building"
            f" = {total / building:.0f} assessments/s (target >= 100: the stored PDFs are zipped);"
            f" {elapsed:.1f} s with starting both worker processes"
        )


if __name__ == "__main__":
    main()
