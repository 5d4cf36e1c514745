"""Supervisor review: the team's queue and the decision on an assessment."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from heat.extensions import db
from heat.models import DECISIONS, Assessment, ReviewDecision, User, utcnow
from heat.services import audit
from heat.services.errors import FieldError
from heat.services.summaries import refresh_children_of


def review_queue_query(team_id: int | None) -> Select[tuple[Assessment]]:
    """The team's submitted assessments awaiting review, oldest first."""
    return (
        select(Assessment)
        .where(Assessment.team_id == team_id, Assessment.status == "submitted")
        .order_by(Assessment.submitted_at, Assessment.id)
        .options(selectinload(Assessment.children), selectinload(Assessment.created_by))
    )


def review_queue(supervisor: User) -> list[tuple[Assessment, list[str]]]:
    """The supervisor's queue, each assessment with the active flags of the child it is filed under."""
    queue = db.session.scalars(review_queue_query(supervisor.team_id)).all()
    return [(assessment, assessment.children[0].active_flags) for assessment in queue]


def record_decision(assessment: Assessment, reviewer: User, decision: str, rationale: str) -> ReviewDecision:
    """A supervisor's decision. Returned assessments go back to the practitioner to change. The caller commits."""
    if assessment.status != "submitted":
        raise FieldError("decision", "This assessment is not awaiting review")
    if decision not in DECISIONS:
        raise FieldError("decision", "Select a decision")
    rationale = (rationale or "").strip()
    if not rationale:
        raise FieldError("rationale", "Enter the rationale for your decision")
    record = ReviewDecision(assessment_id=assessment.id, reviewer=reviewer, decision=decision, rationale=rationale)
    assessment.decisions.append(record)
    assessment.status = decision
    assessment.updated_at = utcnow()
    db.session.flush()
    audit.record("review_decision", user=reviewer, assessment_id=assessment.id, detail=decision)
    refresh_children_of(assessment)
    return record
