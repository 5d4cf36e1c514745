"""Issue 22, finding 11: a child transferred to another team is read-only for the sending team
until (and after) the receiving team acknowledges it, review decisions included."""

from __future__ import annotations

from sqlalchemy import select

from heat.extensions import db
from heat.models import Assessment, AuditEvent, ReviewDecision
from tests import helpers
from tests.test_assessment_flow import count, definition


def test_the_sending_team_cannot_record_a_review_decision_on_a_transferred_child(app, make, signed_in, team_world):
    s, w, child = team_world["s"], team_world["w"], team_world["child"]
    assessment = helpers.start(w, child.id)
    helpers.complete(w, assessment, definition(app))
    helpers.submit(w, assessment)
    other = make.team("Harbour")
    sent = s.post(
        f"/children/{child.id}/transfer",
        data={"csrf_token": s.token, "to_team": str(other.id), "note": "Mother moved to the harbour estate."},
    )
    assert sent.status_code == 302
    page = s.get(f"/assessments/{assessment}/review")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "read-only for your team" in html
    assert 'name="decision"' not in html  # no form to fill in
    refused = s.post(
        f"/assessments/{assessment}/review",
        data={"csrf_token": s.token, "decision": "agreed", "rationale": "Looks right to me."},
    )
    assert refused.status_code == 403
    assert "read-only for your team" in refused.get_data(as_text=True)
    assert count(app, ReviewDecision) == 0
    with app.app_context():
        assert db.session.scalar(select(Assessment.status).where(Assessment.id == assessment)) == "submitted"
    assert count(app, AuditEvent, AuditEvent.action == "access_denied", AuditEvent.assessment_id == assessment) == 1
