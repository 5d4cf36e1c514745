"""Issue 22 item 8: every GET page that shows personal data writes a view row. The test walks the
app's URL map: each GET route is either listed as not personal (heat.views.NOT_PERSONAL, with the
reason) or, fetched with real ids by a user who may see it, writes an audit row naming that user."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from heat.extensions import db
from heat.models import AuditEvent, Team, Transfer
from heat.views import NOT_PERSONAL
from tests.test_access import world  # noqa: F401  (the fixture)

# Audited, and proved so by tests that can make what they need.
ELSEWHERE = {
    "/exports/<int:export_id>/download": "export_downloaded: tests/test_exports_and_audit.py",
    # A joint visit's pages need a joint visit, which the shared world does not have.
    "/assessments/<int:assessment_id>/joint": "joint_visit_viewed: tests/test_joint_visits.py",
    "/assessments/<int:assessment_id>/joint/<section_id>": "section_viewed: tests/test_joint_visits.py",
    "/practice-cases/<int:case_id>/grade": "practice_case_viewed (a practitioner's page): tests/test_practice.py",
    "/practice-cases/<int:case_id>/result": "practice_result_viewed (a practitioner's page): tests/test_practice.py",
    "/assessments/<int:assessment_id>/photos/<int:photo_id>": "photo_viewed: tests/test_photos.py",
    "/practice-cases/<int:case_id>/photos/<int:photo_id>": "practice_photo_viewed: tests/test_practice.py",
    # The shared world's case is published: adding a photo is a draft's page.
    "/admin/practice-cases/<int:case_id>/photos/new": "practice_case_form_viewed: tests/test_practice.py",
}


def rows_by(app, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.user_id == user_id))


@pytest.mark.pdf_renders
def test_every_get_page_with_personal_data_writes_a_view_row(app, make, signed_in, world):  # noqa: F811
    supervisor = make.user("supervisor", world["other"])
    admin, auditor = make.user("admin"), make.user("auditor")
    with app.app_context():
        receiving = db.session.get(Team, db.session.get(Transfer, world["transfer"]).to_team_id)
    people = {"admin": admin, "audit": auditor, "casework": supervisor, "receiving": make.user("supervisor", receiving)}
    clients = {role: signed_in(user) for role, user in people.items()}
    ids = {
        "child_id": world["child"],
        "assessment_id": world["draft"],
        "user_id": world["user"],
        "section_id": "kitchen",
        "change_id": world["change"],
        "number": 1,
        "transfer_id": world["transfer"],
        "adult_id": world["adult"],
        "request_id": world["request"],
        "address_id": world["address"],
        "entry_id": world["entry"],
        "case_id": world["case"],
        "filename": "x",
        "measure_id": "visits_on_time",
    }
    unaudited, checked = [], 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in NOT_PERSONAL or rule.rule in ELSEWHERE:
            continue
        if rule.rule.startswith("/api/v1"):
            continue  # every API call is audited: tests/test_api_v1.py
        # A draft to change (sections, Check answers); a submitted one to read, review or print.
        draft = "/sections/" in rule.rule or rule.rule.endswith("/check")
        chosen = {**ids, "assessment_id": world["draft"] if draft else world["submitted"]}
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m, chosen=chosen: str(chosen[m.group(1)]), rule.rule)
        role = (
            "admin"
            if rule.rule.startswith("/admin")
            else "audit"
            if rule.rule.startswith(("/exports", "/audit"))
            else "receiving"
            if rule.rule.startswith("/transfers/")
            else "casework"
        )
        before = rows_by(app, people[role].id)
        response = clients[role].get(url)
        response.close()  # a streamed download (the audit CSV) keeps its context until closed
        if response.status_code != 200:
            unaudited.append((url, role, response.status_code))
            continue
        checked += 1
        if rows_by(app, people[role].id) == before:
            unaudited.append((url, role, "no view row"))
    assert not unaudited, "\n".join(map(str, unaudited))
    assert checked >= 30
