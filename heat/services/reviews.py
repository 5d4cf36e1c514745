"""Supervisor review: the team's queue, risk first, and the decision on an assessment.

Separation of duties: nobody records a decision on an assessment they started, changed or
submitted. Such an assessment waits for another supervisor of the team, and where the team has
none it shows on the dashboard as needing a second supervisor. Every active cumulative-harm flag
of every child on the visit needs an answer before a decision can be recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, and_, case, or_, select
from sqlalchemy.orm import selectinload

from heat.checklist.vocabulary import AMBER, DECISIONS, FLAG_RESPONSES, GREEN, INCOMPLETE, RATINGS, RED
from heat.extensions import db
from heat.models import (
    FLAG_REASON_LIMIT,
    Assessment,
    Child,
    FlagResponse,
    ReviewDecision,
    SectionSave,
    User,
    assessment_children,
    utcnow,
)
from heat.services import access, audit, paging, versions
from heat.services.errors import FieldError
from heat.services.history import History, history
from heat.services.summaries import refresh_children_of

RATIONALE_MIN = 20  # characters: a Red or Amber decision's rationale must say why


def involved(assessment: Assessment) -> set[int]:
    """Everyone who started, changed or submitted the assessment."""
    savers = db.session.scalars(
        select(SectionSave.user_id).where(SectionSave.assessment_id == assessment.id).distinct()
    )
    people = {assessment.created_by_id, *savers}
    if assessment.submitted_by_id is not None:
        people.add(assessment.submitted_by_id)
    return people


def may_decide(assessment: Assessment, user: User) -> bool:
    return user.id not in involved(assessment)


def _any_child_flagged() -> Any:
    """SQL: a child on the assessment has an active cumulative-harm flag."""
    return (
        select(assessment_children.c.assessment_id)
        .join(Child, Child.id == assessment_children.c.child_id)
        .where(assessment_children.c.assessment_id == Assessment.id, Child.flag_count > 0)
        .exists()
    )


# Red, then Incomplete, then Amber with active flags, then Amber, then Green; oldest first within each.
RISK_FIRST = (
    case(
        (Assessment.rating == RED.id, 0),
        (Assessment.rating == INCOMPLETE.id, 1),
        (and_(Assessment.rating == AMBER.id, _any_child_flagged()), 2),
        (Assessment.rating == AMBER.id, 3),
        (Assessment.rating == GREEN.id, 4),
        else_=5,
    ),
    Assessment.submitted_at,
    Assessment.id,
)


@dataclass(frozen=True)
class QueueRow:
    assessment: Assessment
    flags: list[tuple[Child, list[str]]]  # every child on the visit, with their active flags
    needs_second_supervisor: bool  # no supervisor of the team may decide on it


def _row(assessment: Assessment, needs_second: bool = False) -> QueueRow:
    flags = [(child, list(child.active_flags)) for child in assessment.children]
    return QueueRow(assessment, flags, needs_second)


@dataclass(frozen=True)
class ReviewQueue:
    to_review: list[QueueRow]  # this page of it
    pager: Pagination  # the assessments the supervisor may review, risk first, a page at a time
    # Assessments the supervisor worked on: another supervisor of the team must review them.
    for_another: list[QueueRow]


def _worked_on_by(user_id: Any) -> Any:
    """SQL: the user started, changed or submitted the assessment."""
    changed = select(SectionSave.id).where(SectionSave.assessment_id == Assessment.id, SectionSave.user_id == user_id)
    # Never NULL (an assessment nobody submitted yet): the queue also asks for its opposite.
    submitted_by = and_(Assessment.submitted_by_id.is_not(None), Assessment.submitted_by_id == user_id)
    return or_(Assessment.created_by_id == user_id, submitted_by, changed.exists())


def review_queue(supervisor: User, page: int | None) -> ReviewQueue:
    """The team's submitted assessments, risk first, paged in the database (the queue grows with
    the team); those the supervisor worked on apart, for another supervisor."""
    submitted = (
        select(Assessment)
        .where(Assessment.team_id == supervisor.team_id, Assessment.status == "submitted")
        .order_by(*RISK_FIRST)
        .options(selectinload(Assessment.children), selectinload(Assessment.created_by))
    )
    pager = paging.paginate(submitted.where(~_worked_on_by(supervisor.id)), page)
    worked_on = db.session.scalars(submitted.where(_worked_on_by(supervisor.id))).all()
    stuck = {a.id for a in needing_second_supervisor(supervisor.team_id)} if worked_on else set()
    return ReviewQueue([_row(a) for a in pager.items], pager, [_row(a, needs_second=a.id in stuck) for a in worked_on])


def needing_second_supervisor_query(team_id: int | None) -> Select[Any]:
    """SQL: submitted assessments of the team that no supervisor of the team may decide on: every
    active supervisor worked on them (or the team has none)."""
    supervisors = db.session.scalars(
        select(User.id).where(User.team_id == team_id, User.role == "supervisor", User.active.is_(True))
    ).all()
    return select(Assessment).where(
        Assessment.team_id == team_id,
        Assessment.status == "submitted",
        *[_worked_on_by(s) for s in supervisors],
    )


def needing_second_supervisor(team_id: int | None) -> list[Assessment]:
    """Those assessments, longest waiting first."""
    return longest_waiting(needing_second_supervisor_query(team_id))


def longest_waiting(query: Select[Any], limit: int | None = None) -> list[Assessment]:
    """The query's assessments, longest waiting first (the first `limit` of them), with their
    children: read in order from the index on team, status and submission time."""
    return list(
        db.session.scalars(
            query.order_by(Assessment.submitted_at, Assessment.id)
            .limit(limit)
            .options(selectinload(Assessment.children))
        )
    )


@dataclass(frozen=True)
class FlagToAnswer:
    """An active flag of a child on the visit under review; `key` names its answer in the form."""

    key: str
    child: Child
    title: str
    text: str


def flags_to_answer(assessment: Assessment, records: Mapping[int, History] | None = None) -> list[FlagToAnswer]:
    """The active flags of every child on the visit, each with a form key. Pass the children's
    `records` (by child id) when they are worked out already."""
    found: list[FlagToAnswer] = []
    for child in assessment.children:
        record = records[child.id] if records is not None else history(child)
        for flag in record.active_flags:
            found.append(FlagToAnswer(f"flag-{len(found) + 1}", child, flag.title, flag.text))
    return found


def record_decision(
    assessment: Assessment,
    reviewer: User,
    decision: str,
    rationale: str,
    answers: Mapping[str, tuple[str | None, str | None]] | None = None,
    action_today: str | None = None,
) -> ReviewDecision:
    """A supervisor's decision, with an answer (response, reason) to each active flag of
    `flags_to_answer`, by its key. Returned assessments go back to the practitioner to change.
    A Red or Amber visit's rationale must say something; a Red visit is Agreed only with the
    safeguarding action taken today (or Escalated). The caller commits."""
    if assessment.status != "submitted":
        raise FieldError("decision", "This assessment is not awaiting review")
    refused = access.decision_refused(reviewer, assessment)
    if refused:
        raise FieldError("decision", refused)
    if not may_decide(assessment, reviewer):
        raise FieldError(
            "decision",
            "You started, changed or submitted this assessment, so another supervisor of the team must review it",
        )
    responses = []
    for flag in flags_to_answer(assessment):
        response, reason = (answers or {}).get(flag.key, (None, None))
        reason = (reason or "").strip()
        if response not in FLAG_RESPONSES:
            raise FieldError(f"{flag.key}-response", f"Select your response to the flag ‘{flag.title}’")
        if not reason:
            raise FieldError(f"{flag.key}-reason", f"Enter a short reason for your response to ‘{flag.title}’")
        if len(reason) > FLAG_REASON_LIMIT:
            raise FieldError(f"{flag.key}-reason", f"The reason must be {FLAG_REASON_LIMIT} characters or fewer")
        responses.append(FlagResponse(child_id=flag.child.id, flag_title=flag.title, response=response, reason=reason))
    if decision not in DECISIONS:
        raise FieldError("decision", "Select a decision")
    rationale = (rationale or "").strip()
    if not rationale:
        raise FieldError("rationale", "Enter the rationale for your decision")
    if assessment.rating in (RED.id, AMBER.id) and len(rationale) < RATIONALE_MIN:
        raise FieldError(
            "rationale",
            f"Say why you made this decision for a {RATINGS[assessment.rating].label} visit: "
            f"write at least {RATIONALE_MIN} characters",
        )
    action_today = (action_today or "").strip() or None
    if assessment.rating == RED.id and decision == "agreed" and action_today is None:
        raise FieldError(
            "action_today",
            "A Red visit cannot be Agreed without the safeguarding action taken today: say what was done, "
            "or choose Escalated",
        )
    record = ReviewDecision(
        assessment_id=assessment.id,
        reviewer=reviewer,
        decision=decision,
        rationale=rationale,
        action_today=action_today if assessment.rating == RED.id else None,
        responses=responses,
    )
    assessment.decisions.append(record)
    assessment.status = decision
    assessment.updated_at = utcnow()
    db.session.flush()
    audit.record("review_decision", user=reviewer, assessment_id=assessment.id, detail=decision)
    refresh_children_of(assessment)
    versions.keep(assessment, decision, reviewer, record.decided_at)
    return record
