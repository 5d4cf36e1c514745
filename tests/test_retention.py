"""Retention: records due for review after the configured age are listed for administrators,
who restrict them (auditors only) or erase them (a tombstone stays; nothing personal)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from heat.extensions import db
from heat.models import AssessmentVersion, AuditEvent, Child, ItemGrade
from tests import helpers
from tests.conftest import csrf_token
from tests.test_oversight import submitted_visit

OVER_25 = 25 * 12 + 14  # months: a care leaver of 26


def decide(client, child_id: int, action: str, reason: str = "Reviewed with legal: not needed"):
    url = f"/admin/retention/{child_id}"
    return client.post(url, data={"csrf_token": csrf_token(client, url), "action": action, "reason": reason})


def test_records_due_for_review_are_listed(app, make, signed_in):
    team = make.team()
    old, young = make.child(team, "Old", "Enough", months=OVER_25), make.child(team, "Too", "Young", months=30)
    admin = signed_in(make.user("admin"))
    page = admin.get("/admin/retention").get_data(as_text=True)
    assert old.reference in page and young.reference not in page
    assert "Old" not in page  # references, not names
    refused = decide(admin, young.id, "erase")
    assert refused.status_code == 200 and "These records are not due for review" in refused.get_data(as_text=True)
    missing = decide(admin, old.id, "restrict", reason="")
    assert "Enter the reason, for the audit trail" in missing.get_data(as_text=True)


def test_restricted_records_are_for_auditors_only(app, make, signed_in):
    team = make.team()
    child = make.child(team, months=OVER_25)
    worker = signed_in(make.user("practitioner", team))
    auditor = signed_in(make.user("auditor"))
    admin_user = make.user("admin")
    admin = signed_in(admin_user)
    assert worker.get(f"/children/{child.id}").status_code == 200
    assert decide(admin, child.id, "restrict").status_code == 302
    assert worker.get(f"/children/{child.id}").status_code == 404
    assert child.reference not in worker.get("/caseload").get_data(as_text=True)
    assert auditor.get(f"/children/{child.id}").status_code == 200
    with app.app_context():
        logged = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "records_restricted"))
        assert logged.user_id == admin_user.id and logged.child_id == child.id
        assert logged.detail == "Reviewed with legal: not needed"


def test_erasure_removes_everything_and_leaves_a_tombstone(app, make, signed_in, team_world):
    team, w = team_world["team"], team_world["w"]
    child = make.child(team, "Care", "Leaver", months=OVER_25)
    assessment_id = submitted_visit(app, w, child.id, dt.date.today() - dt.timedelta(days=3))
    auditor = signed_in(make.user("auditor"))
    admin = signed_in(make.user("admin"))
    assert decide(admin, child.id, "erase").status_code == 302
    with app.app_context():
        tombstone = db.session.get(Child, child.id)
        assert (tombstone.first_name, tombstone.last_name, tombstone.reference) == (
            "Erased",
            "record",
            f"erased-{child.id}",
        )
        assert tombstone.erased_at is not None
        for model in (ItemGrade, AssessmentVersion):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0
    for client in (w, auditor):
        assert client.get(f"/children/{child.id}").status_code == 404
        assert client.get(f"/assessments/{assessment_id}").status_code == 404
    assert child.reference not in admin.get("/admin/retention").get_data(as_text=True)
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0
    page = helpers.page(admin.get("/admin/retention"))
    assert "Leaver" not in page.get_text()


def test_an_erased_childs_visit_leaves_the_review_queue_and_dashboard(app, make, signed_in, team_world):
    team, w, s = team_world["team"], team_world["w"], team_world["s"]
    child = make.child(team, "Care", "Leaver", months=OVER_25)
    assessment_id = submitted_visit(app, w, child.id, dt.date.today() - dt.timedelta(days=3))
    assert f"/assessments/{assessment_id}/review" in s.get("/reviews").get_data(as_text=True)
    assert decide(signed_in(make.user("admin")), child.id, "erase").status_code == 302
    assert f"/assessments/{assessment_id}" not in s.get("/reviews").get_data(as_text=True)
    assert "Leaver" not in s.get("/dashboard").get_data(as_text=True)
