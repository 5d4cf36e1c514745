"""Version history: what an assessment said at each submission, return, resubmission and
decision, kept unchanged, with the PDF rendered at that moment.

Each version holds a snapshot of the answers (every column of the assessment and of its grades,
rooms, people and actions), the score and checklist version, who and when, and the PDF's bytes
and SHA-256. A download serves the stored bytes, so the same PDF downloaded twice is the same
file, and an export zips the stored PDFs instead of rendering each again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import undefer
from sqlalchemy.orm.attributes import set_committed_value

from heat.database import writing
from heat.extensions import db
from heat.models import (
    Action,
    Assessment,
    AssessmentVersion,
    Child,
    ItemGrade,
    PersonPresent,
    ReviewDecision,
    RoomCheck,
    User,
    utcnow,
)
from heat.reports.pdf import render_pdf
from heat.services.checklists import definition_for, score_of

# Not answers: how the app keeps track of saves.
_BOOKKEEPING = {"start_key", "submission_key", "section_status", "section_versions", "version"}
_CHILD_ROWS = {"grades": ItemGrade, "rooms": RoomCheck, "people": PersonPresent, "actions": Action}


def record_context(assessment: Assessment) -> dict[str, Any]:
    """What the assessment page and its PDF show of an assessment."""
    return {
        "assessment": assessment,
        "definition": definition_for(assessment),
        "score": score_of(assessment),
        "grades": {g.item_id: g for g in assessment.grades},
        "rooms": {r.room_id: r for r in assessment.rooms},
    }


def snapshot_of(assessment: Assessment) -> dict[str, Any]:
    """Every answer as plain data (dates as ISO text), and which children the visit covered."""
    snapshot = {k: v for k, v in _columns(assessment).items() if k not in _BOOKKEEPING}
    for name in _CHILD_ROWS:
        snapshot[name] = [
            {k: v for k, v in _columns(row).items() if k not in ("id", "assessment_id")}
            for row in getattr(assessment, name)
        ]
    snapshot["children"] = [{"id": c.id, "reference": c.reference} for c in assessment.children]
    return snapshot


def _columns(row: Any) -> dict[str, Any]:
    return {c.key: _plain(getattr(row, c.key)) for c in inspect(row).mapper.column_attrs}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def _typed(model: Any, values: dict[str, Any]) -> dict[str, Any]:
    """A snapshot's plain values back as the model's column types (dates were stored as ISO text)."""
    typed = {}
    for attr in inspect(model).column_attrs:
        if attr.key not in values:
            continue
        value = values[attr.key]
        try:
            kind = attr.columns[0].type.python_type
        except NotImplementedError:  # a type with no Python equivalent stored the value as it was
            kind = None
        is_time = kind in (dt.date, dt.datetime, dt.time) and isinstance(value, str)
        typed[attr.key] = kind.fromisoformat(value) if is_time else value
    return typed


def without_child(seen: dict[str, Any] | None, child_id: int) -> dict[str, Any] | None:
    """How each child on a visit was seen (keyed by the child's id, a string in JSON), less one."""
    kept = {key: value for key, value in (seen or {}).items() if str(key) != str(child_id)}
    return kept or None


def rendered_without(version: AssessmentVersion, child_id: int) -> tuple[dict[str, Any], bytes]:
    """A version's snapshot and PDF with one child taken out of the visit: what erasing a child
    does to a visit that stays a brother's or sister's record. The PDF is rendered again from the
    snapshot (the answers as they were at that version, printed by the same person at the same
    time); only the list of children differs."""
    snapshot = dict(version.snapshot)
    snapshot["children"] = [c for c in snapshot.get("children", []) if c.get("id") != child_id]
    snapshot["children_seen"] = without_child(snapshot.get("children_seen"), child_id)
    # A detached copy of the assessment as the version recorded it: never added to the session,
    # its relationships set as if loaded, so nothing about it is written or cascaded.
    copy = Assessment(**_typed(Assessment, snapshot))
    for name, model in _CHILD_ROWS.items():
        set_committed_value(copy, name, [model(**_typed(model, row)) for row in snapshot.get(name, [])])
    staying = [c["id"] for c in snapshot["children"]]
    set_committed_value(
        copy,
        "children",
        # in the order Assessment.children gives them
        list(db.session.scalars(select(Child).where(Child.id.in_(staying)).order_by(Child.date_of_birth.desc()))),
    )
    decisions = db.session.scalars(
        select(ReviewDecision)
        .where(ReviewDecision.assessment_id == version.assessment_id, ReviewDecision.decided_at <= version.at)
        .order_by(ReviewDecision.decided_at)
        .execution_options(populate_existing=True)
    )
    set_committed_value(copy, "decisions", list(decisions))
    pdf = render_pdf(
        "reports/assessment.html",
        generated_by=version.by.name if version.by is not None else "HEAT",
        generated_at=version.at,
        **record_context(copy),
    )
    return snapshot, pdf


def keep(assessment: Assessment, event: str, by: User | None, at: dt.datetime | None = None) -> AssessmentVersion:
    """Keep what the assessment says now as its next version, in the caller's transaction."""
    at = at or utcnow()
    number = (
        db.session.scalar(
            select(func.max(AssessmentVersion.number)).where(AssessmentVersion.assessment_id == assessment.id)
        )
        or 0
    ) + 1
    pdf = render_pdf(
        "reports/assessment.html",
        generated_by=by.name if by is not None else "HEAT",
        generated_at=at,
        **record_context(assessment),
    )
    version = AssessmentVersion(
        assessment_id=assessment.id,
        number=number,
        event=event,
        by_id=by.id if by is not None else None,
        at=at,
        checklist_version=assessment.checklist_version,
        rating=assessment.rating,
        mean_grade=assessment.mean_grade,
        snapshot=snapshot_of(assessment),
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
    )
    db.session.add(version)
    db.session.flush()
    return version


def versions_of(assessment: Assessment) -> list[AssessmentVersion]:
    """Oldest first, without their PDFs' bytes."""
    return list(
        db.session.scalars(
            select(AssessmentVersion)
            .where(AssessmentVersion.assessment_id == assessment.id)
            .order_by(AssessmentVersion.number)
        )
    )


def stored(assessment: Assessment, number: int | None = None) -> AssessmentVersion | None:
    """A version with its PDF's bytes: the numbered one, or the latest."""
    query = (
        select(AssessmentVersion)
        .where(AssessmentVersion.assessment_id == assessment.id)
        .options(undefer(AssessmentVersion.pdf))
        .order_by(AssessmentVersion.number.desc())
        .limit(1)
    )
    if number is not None:
        query = query.where(AssessmentVersion.number == number)
    return db.session.scalar(query)


def latest(assessment: Assessment) -> AssessmentVersion:
    """The latest version with its PDF. A record submitted before versions were kept gets its
    first version now ("Recorded before version history"), in a short write transaction of its
    own, so every later download is these bytes."""
    version = stored(assessment)
    if version is not None:
        return version
    backfill([assessment.id])
    found = stored(assessment)
    assert found is not None
    return found


def backfill(assessment_ids: list[int]) -> int:
    """Give recorded assessments that have no version their first one. Returns how many."""
    db.session.commit()  # end the read transaction: a write on SQLite must begin IMMEDIATE
    made = 0
    with writing():
        have = set(
            db.session.scalars(
                select(AssessmentVersion.assessment_id).where(AssessmentVersion.assessment_id.in_(assessment_ids))
            )
        )
        for assessment_id in assessment_ids:
            if assessment_id in have:
                continue
            assessment = db.session.get_one(Assessment, assessment_id)
            by = db.session.get(User, assessment.submitted_by_id or assessment.created_by_id)
            keep(assessment, "recorded", by, assessment.submitted_at)
            made += 1
        db.session.commit()
    return made
