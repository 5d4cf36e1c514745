"""Auditor exports (ZIP of PDFs and CSVs, built on the task queue) and the audit trail."""

from __future__ import annotations

import csv
import datetime as dt
import io
import stat
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from heat import tasks
from heat.extensions import db
from heat.models import AuditEvent, Export, utcnow
from heat.reports.csv_export import safe_cell
from heat.services import exports as export_service
from tests.test_assessment_flow import count, definition
from tests.test_oversight import day_parts, submitted_visit


@pytest.fixture
def exported_world(app, make, signed_in):
    north, south = make.team("Northern"), make.team("Southern")
    worker = make.user("practitioner", north)
    child = make.child(north, "Eve", "Invented")
    client = signed_in(worker)
    today = dt.date.today()
    ids = [submitted_visit(app, client, child.id, today - dt.timedelta(days=d)) for d in (20, 5)]
    supervisor = signed_in(make.user("supervisor", north))
    supervisor.post(
        f"/assessments/{ids[0]}/review",
        data={"csrf_token": supervisor.token, "decision": "agreed", "rationale": "=1+1 looks fine"},
    )
    auditor_user = make.user("auditor")
    return {
        "north": north,
        "south": south,
        "child": child,
        "ids": ids,
        "auditor": signed_in(auditor_user),
        "auditor_user": auditor_user,
        "worker": worker,
    }


def test_auditor_exports_a_zip_of_pdfs_and_csvs(app, exported_world):
    auditor, world = exported_world["auditor"], exported_world
    today = dt.date.today()
    page = auditor.get("/exports").get_data(as_text=True)
    assert "Create export" in page and "Northern" in page
    response = auditor.post(
        "/exports",
        data={
            "csrf_token": auditor.token,
            "teams": [str(world["north"].id)],
            "date_from": day_parts(today - dt.timedelta(days=30)),
            "date_to": day_parts(today),
        },
    )
    assert response.status_code == 302
    page = auditor.get("/exports").get_data(as_text=True)
    assert "Ready" in page and "Download export" in page
    export_id = newest_export(app)
    download = auditor.get(f"/exports/{export_id}/download")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    download.close()  # send_file streams from an open file
    names = set(archive.namelist())
    assert {f"assessments/assessment-{i}.pdf" for i in world["ids"]} <= names
    assert archive.read(f"assessments/assessment-{world['ids'][0]}.pdf").startswith(b"%PDF")
    items = list(csv.DictReader(io.StringIO(archive.read("items.csv").decode("utf-8-sig"))))
    asked = definition(app)
    if asked.weighs_evidence:  # since 2026.4 a baby's visit asks the items for under 1s
        asked = asked.for_ages(frozenset({"under_1"}))
    assert len(items) == 2 * len(asked.items)
    assert set(items[0]) >= {
        "child_identifier",
        "visit_date",
        "domain",
        "item_id",
        "grade",
        "evidence_source",
        "rating",
    }
    assert {row["child_identifier"] for row in items} == {world["child"].reference}
    assert "Eve" not in archive.read("items.csv").decode()
    decisions = list(csv.DictReader(io.StringIO(archive.read("review-decisions.csv").decode("utf-8-sig"))))
    assert [d["decision"] for d in decisions] == ["Agreed"]
    assert decisions[0]["rationale"] == "'=1+1 looks fine"  # never run as a spreadsheet formula
    assert count(app, AuditEvent, AuditEvent.action == "export_requested") == 1
    assert count(app, AuditEvent, AuditEvent.action == "export_downloaded") == 1
    # A ZIP gone from the disk (an erasure deletes it; so can an operator) is a 404, never a 500.
    with app.app_context():
        export_service.export_path(db.session.get_one(Export, export_id)).unlink()
    assert auditor.get(f"/exports/{export_id}/download").status_code == 404


@pytest.mark.parametrize(
    "change, message",
    [
        ({"teams": []}, "Select at least one team"),
        (
            {"date_from": ["10", "5", "2026"], "date_to": ["1", "5", "2026"]},
            "The end date must be the same as or after the start date",
        ),
        (
            {"date_from": ["1", "1", "2001"], "date_to": ["2", "1", "2001"]},
            "There are no submitted assessments for those teams and dates",
        ),
        ({"teams": ["south"]}, "Select one of the options"),
        ({"date_to": ["31", "2", "2026"]}, "To must be a real date"),
    ],
)
def test_export_form_errors_change_nothing(app, exported_world, change, message):
    auditor, today = exported_world["auditor"], dt.date.today()
    data = {
        "csrf_token": auditor.token,
        "teams": [str(exported_world["north"].id)],
        "date_from": day_parts(today - dt.timedelta(days=30)),
        "date_to": day_parts(today),
        **change,
    }
    response = auditor.post("/exports", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in page and message in page
    assert count(app, Export) == 0


def test_exports_are_for_auditors_and_only_their_own(app, make, signed_in, exported_world):
    auditor, today = exported_world["auditor"], dt.date.today()
    auditor.post(
        "/exports",
        data={
            "csrf_token": auditor.token,
            "teams": [str(exported_world["north"].id)],
            "date_from": day_parts(today - dt.timedelta(days=30)),
            "date_to": day_parts(today),
        },
    )
    other_auditor = signed_in(make.user("auditor"))
    assert other_auditor.get("/exports/1/download").status_code == 404
    supervisor = signed_in(make.user("supervisor", exported_world["north"]))
    assert supervisor.get("/exports").status_code == 404
    assert supervisor.get("/exports/1/download").status_code == 404


def test_safe_cell_neutralises_formulas():
    assert [safe_cell(v) for v in ["=SUM(A1)", "+1", "-2", "@x", "plain", None, 3]] == [
        "'=SUM(A1)",
        "'+1",
        "'-2",
        "'@x",
        "plain",
        "",
        "3",
    ]


def test_audit_trail_search_by_user_child_and_date_and_csv(app, exported_world):
    auditor, world = exported_world["auditor"], exported_world
    page = auditor.get(f"/audit?user={world['worker'].email}").get_data(as_text=True)
    assert "sign in" in page and "assessment submitted" in page
    auditor.get(f"/children/{world['child'].id}")
    by_child = auditor.get(f"/audit?child={world['child'].reference}").get_data(as_text=True)
    assert f"Child {world['child'].reference}" in by_child  # the view of the child's page
    assert f"Assessment {world['ids'][0]}" in by_child  # and events on assessments that cover the child
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    future = auditor.get(
        f"/audit?date_from={tomorrow.day}&date_from={tomorrow.month}&date_from={tomorrow.year}"
    ).get_data(as_text=True)
    assert "0 events" in future
    wrong_way = auditor.get("/audit?date_from=10&date_from=5&date_from=2026&date_to=1&date_to=5&date_to=2026")
    assert "The end date must be the same as or after the start date" in wrong_way.get_data(as_text=True)
    response = auditor.get(f"/audit/export.csv?user={world['worker'].email}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows and {r["user"] for r in rows} == {world["worker"].email}
    assert {"sign_in", "assessment_submitted"} <= {r["action"] for r in rows}
    assert count(app, AuditEvent, AuditEvent.action == "audit_exported") == 1


def test_audit_trail_is_for_auditors_only(app, make, signed_in, exported_world):
    for role in ("practitioner", "supervisor", "admin"):
        client = signed_in(make.user(role, exported_world["north"] if role != "admin" else None))
        assert client.get("/audit").status_code == 404
        assert client.get("/audit/export.csv").status_code == 404


def test_no_child_names_in_application_logs(app, make, signed_in, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    team = make.team()
    client = signed_in(make.user("practitioner", team))
    child = make.child(team, "Zebedee", "Lognamecheck")
    submitted_visit(app, client, child.id, dt.date.today())
    client.get(f"/children/{child.id}")
    client.get(f"/children/{child.id}/history.pdf")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Zebedee" not in logged and "Lognamecheck" not in logged


def make_export(app, world) -> int:
    today = dt.date.today()
    response = world["auditor"].post(
        "/exports",
        data={
            "csrf_token": world["auditor"].token,
            "teams": [str(world["north"].id)],
            "date_from": day_parts(today - dt.timedelta(days=30)),
            "date_to": day_parts(today),
        },
    )
    assert response.status_code == 302
    return newest_export(app)


def newest_export(app) -> int:
    """Ids are not reused between tests on PostgreSQL (sequences carry on): ask for the newest."""
    with app.app_context():
        return db.session.scalar(select(func.max(Export.id)))


def test_export_files_and_folders_are_private(app, exported_world):
    export_id = make_export(app, exported_world)
    with app.app_context():
        path = export_service.export_path(db.session.get(Export, export_id))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
        assert stat.S_IMODE(database.stat().st_mode) == 0o600
        assert stat.S_IMODE(Path(str(database) + "-wal").stat().st_mode) == 0o600


def test_exports_are_deleted_after_the_retention_period(app, exported_world):
    export_id = make_export(app, exported_world)
    auditor = exported_world["auditor"]
    with app.app_context():
        path = export_service.export_path(db.session.get(Export, export_id))
        assert export_service.expire(utcnow() + dt.timedelta(days=6)) == 0  # kept 7 days by default
        assert path.exists()
        tasks.expire_exports()  # the periodic task (immediate mode in tests), run now: nothing is old enough
    assert path.exists()
    with app.app_context():
        assert export_service.expire(utcnow() + dt.timedelta(days=8)) == 1
        expired = db.session.get(Export, export_id)
        assert expired.status == "expired"
        logged = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export_expired"))
        assert logged.detail == f"export {export_id}" and logged.target_user_id == expired.requested_by_id
    assert not path.exists()
    page = auditor.get("/exports").get_data(as_text=True)
    assert "Deleted" in page and "Exports are kept for 7 days" in page
    assert auditor.get(f"/exports/{export_id}/download").status_code == 404
