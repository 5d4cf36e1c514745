"""Version history and stored PDFs: every submission, return, resubmission and decision keeps an
unchanged snapshot and the PDF made at that moment; downloads and exports serve those bytes."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile

import pytest
from sqlalchemy import select, text

from heat.extensions import db
from heat.models import AssessmentVersion, Export
from tests import helpers
from tests.test_assessment_flow import definition
from tests.test_oversight import day_parts, submitted_visit

# Every test here reads the PDF of a kept version: each is rendered at once (tests/conftest.py).
pytestmark = pytest.mark.pdf_renders


def kept(app, assessment_id: int) -> list[AssessmentVersion]:
    with app.app_context():
        rows = db.session.scalars(
            select(AssessmentVersion)
            .where(AssessmentVersion.assessment_id == assessment_id)
            .order_by(AssessmentVersion.number)
        ).all()
        for row in rows:
            _ = row.pdf  # loaded before the session closes
        return list(rows)


def grade_in(version: AssessmentVersion, item_id: str) -> str:
    return next(g["grade"] for g in version.snapshot["grades"] if g["item_id"] == item_id)


@pytest.fixture
def returned_and_resubmitted(app, team_world):
    """Submitted with the kitchen's food at 2, returned, changed to 4 and submitted again."""
    w, s, child = team_world["w"], team_world["s"], team_world["child"]
    assessment_id = submitted_visit(app, w, child.id, dt.date.today() - dt.timedelta(days=1))
    assert helpers.decide(s, assessment_id, "returned", "The kitchen needs another look.").status_code == 302
    grades = {"kitchen.food": "4"}
    kitchen = helpers.domain_data(definition(app), "kitchen", grades)
    assert helpers.save(w, assessment_id, "kitchen", kitchen).status_code == 302
    assert helpers.submit(w, assessment_id).status_code == 302
    return assessment_id


def test_each_submission_return_and_resubmission_is_kept(app, team_world, returned_and_resubmitted):
    assessment_id = returned_and_resubmitted
    first, returned, again = kept(app, assessment_id)
    assert [v.event for v in (first, returned, again)] == ["submitted", "returned", "resubmitted"]
    assert [v.number for v in (first, returned, again)] == [1, 2, 3]
    assert first.by_id == team_world["worker"].id and returned.by_id == team_world["supervisor"].id
    # What the supervisor returned is still there, unchanged, beside what came back.
    assert grade_in(first, "kitchen.food") == "2" and grade_in(returned, "kitchen.food") == "2"
    assert grade_in(again, "kitchen.food") == "4"
    assert first.checklist_version == definition(app).version and first.rating is not None
    for version in (first, returned, again):
        assert version.pdf.startswith(b"%PDF") and hashlib.sha256(version.pdf).hexdigest() == version.pdf_sha256
    assert len({v.pdf_sha256 for v in (first, returned, again)}) == 3

    page = team_world["w"].get(f"/assessments/{assessment_id}").get_data(as_text=True)
    table = helpers.page(page).select_one("#versions + p + table")
    rows = [[td.get_text(" ", strip=True) for td in tr.select("td")] for tr in table.select("tbody tr")]
    assert [r[1] for r in rows] == ["Submitted", "Returned for changes", "Submitted again after changes"]
    assert rows[1][2] == team_world["supervisor"].name
    assert f"SHA-256 {first.pdf_sha256}" in rows[0][5]


def test_a_version_download_is_the_stored_pdf_every_time(app, team_world, returned_and_resubmitted):
    assessment_id = returned_and_resubmitted
    versions = kept(app, assessment_id)
    w = team_world["w"]
    latest = [w.get(f"/assessments/{assessment_id}/pdf").data for _ in range(2)]
    assert latest[0] == latest[1] == versions[-1].pdf  # byte for byte, and what was stored
    for version in versions:
        response = w.get(f"/assessments/{assessment_id}/versions/{version.number}.pdf")
        assert response.status_code == 200 and response.data == version.pdf
        assert (
            f"heat-assessment-{assessment_id}-version-{version.number}.pdf" in response.headers["Content-Disposition"]
        )
    assert w.get(f"/assessments/{assessment_id}/versions/9.pdf").status_code == 404


def test_versions_are_never_changed(app, team_world, returned_and_resubmitted):
    with app.app_context():
        version = db.session.scalars(select(AssessmentVersion)).first()
        version.rating = "green"
        with pytest.raises(PermissionError):
            db.session.flush()
        db.session.rollback()


def test_a_decision_keeps_a_version_and_the_export_zips_the_stored_pdfs(app, team_world, make, signed_in):
    w, s, child = team_world["w"], team_world["s"], team_world["child"]
    assessment_id = submitted_visit(app, w, child.id, dt.date.today() - dt.timedelta(days=2))
    assert helpers.decide(s, assessment_id, "agreed", "A fair picture of the home.").status_code == 302
    versions = kept(app, assessment_id)
    assert [v.event for v in versions] == ["submitted", "agreed"]

    auditor = signed_in(make.user("auditor"))
    today = dt.date.today()
    response = auditor.post(
        "/exports",
        data={
            "csrf_token": auditor.token,
            "teams": [str(team_world["team"].id)],
            "date_from": day_parts(today - dt.timedelta(days=30)),
            "date_to": day_parts(today),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        export_id = db.session.scalars(select(Export.id)).one()
    download = auditor.get(f"/exports/{export_id}/download")
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    download.close()
    assert archive.read(f"assessments/assessment-{assessment_id}.pdf") == versions[-1].pdf
    rows = list(csv.DictReader(io.StringIO(archive.read("versions.csv").decode("utf-8-sig"))))
    assert [(r["version"], r["what_happened"], r["pdf_sha256"]) for r in rows] == [
        ("1", "Submitted", versions[0].pdf_sha256),
        ("2", "Agreed", versions[1].pdf_sha256),
    ]
    snapshot = json.loads(archive.read(f"versions/assessment-{assessment_id}-version-1.json"))
    assert snapshot == versions[0].snapshot


def test_a_record_from_before_version_history_gets_its_first_version_once(app, team_world):
    assessment_id = submitted_visit(app, team_world["w"], team_world["child"].id, dt.date.today())
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM assessment_versions"))  # as a record made before migration 0007
    waiting = team_world["w"].get(f"/assessments/{assessment_id}/pdf")
    assert waiting.status_code == 202 and "The PDF is being prepared" in waiting.get_data(as_text=True)
    # Its render was queued (in tests the queue runs it at once): later downloads are those bytes.
    first = team_world["w"].get(f"/assessments/{assessment_id}/pdf").data
    again = team_world["w"].get(f"/assessments/{assessment_id}/pdf").data
    (version,) = kept(app, assessment_id)
    assert version.event == "recorded" and first == again == version.pdf
