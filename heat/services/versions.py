"""Version history: what an assessment said at each submission, return, resubmission and
decision, kept unchanged, with its PDF.

Each version holds a snapshot of the answers (every column of the assessment and of its grades,
rooms, people and actions), the score and checklist version, who and when, and the PDF's bytes
and SHA-256. A submission or decision keeps the version and commits at once; the worker then
renders the PDF from the snapshot, as printed by that person at that moment (the same bytes as
rendering it in the request would have given), and stores it once. Until then a download says
"The PDF is being prepared". A download serves the stored bytes, so the same PDF downloaded
twice is the same file, and an export zips the stored PDFs instead of rendering each again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from flask import current_app
from sqlalchemy import CursorResult, func, inspect, or_, select, update
from sqlalchemy.orm import MANYTOONE, undefer
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
from heat.services import audit, photos
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


def snapshot_without(version: AssessmentVersion, child_id: int) -> dict[str, Any]:
    """A version's snapshot with one child taken out of the visit: what erasing a child does to a
    visit that stays a brother's or sister's record. Its PDF is then rendered again from it."""
    snapshot = dict(version.snapshot)
    snapshot["children"] = [c for c in snapshot.get("children", []) if c.get("id") != child_id]
    snapshot["children_seen"] = without_child(snapshot.get("children_seen"), child_id)
    return snapshot


def as_recorded(version: AssessmentVersion) -> Assessment:
    """The assessment as the version recorded it, from its snapshot: a detached copy, never added
    to the session, its relationships set as if loaded, so nothing about it is written or
    cascaded. Its children are the snapshot's (in its order), its decisions those made by then."""
    snapshot = version.snapshot
    copy = _with_references(Assessment(**_typed(Assessment, snapshot)), None)
    for name, model in _CHILD_ROWS.items():
        rows = [_with_references(model(**_typed(model, row)), copy) for row in snapshot.get(name, [])]
        set_committed_value(copy, name, rows)
    order = [c["id"] for c in snapshot.get("children", [])]
    found = {c.id: c for c in db.session.scalars(select(Child).where(Child.id.in_(order)))}
    set_committed_value(copy, "children", [found[i] for i in order if i in found])
    decisions = db.session.scalars(
        select(ReviewDecision)
        .where(ReviewDecision.assessment_id == version.assessment_id, ReviewDecision.decided_at <= version.at)
        .order_by(ReviewDecision.decided_at)
        .execution_options(populate_existing=True)
    )
    set_committed_value(copy, "decisions", list(decisions))
    return copy


def _with_references(row: Any, assessment: Assessment | None) -> Any:
    """A detached row with what it points to (who created the visit, its team, an adult seen)
    loaded as if by the ORM; a detached row would otherwise find them empty."""
    for relationship in inspect(type(row)).relationships:
        if relationship.direction is not MANYTOONE:
            continue
        (column,) = relationship.local_columns
        target = relationship.mapper.class_
        value = getattr(row, column.key)
        found = assessment if target is Assessment else (db.session.get(target, value) if value is not None else None)
        set_committed_value(row, relationship.key, found)
    return row


def pdf_of(assessment: Assessment, by: User | None, at: dt.datetime) -> bytes:
    """The assessment's PDF as printed by `by` at `at`."""
    context = record_context(assessment)
    return render_pdf(
        "reports/assessment.html",
        generated_by=by.name if by is not None else "HEAT",
        generated_at=at,
        photos=photos.shown(assessment.id, context["definition"], photos.data_uri),
        **context,
    )


def keep(assessment: Assessment, event: str, by: User | None, at: dt.datetime | None = None) -> AssessmentVersion:
    """Keep what the assessment says now as its next version, in the caller's transaction. Its
    PDF is not rendered here: once the caller has committed, `tasks.render_pdfs` queues it, and
    the worker renders it from the snapshot (`render`)."""
    at = at or utcnow()
    number = (
        db.session.scalar(
            select(func.max(AssessmentVersion.number)).where(AssessmentVersion.assessment_id == assessment.id)
        )
        or 0
    ) + 1
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
        pdf_queued_at=utcnow(),
    )
    db.session.add(version)
    db.session.flush()
    return version


def waiting(assessment_ids: list[int] | None = None) -> list[int]:
    """The versions (of these assessments, or of any) whose PDF is queued and not yet started,
    oldest first: what a request that kept or changed them hands to the worker after its commit."""
    query = select(AssessmentVersion.id).where(
        AssessmentVersion.pdf_queued_at.is_not(None), AssessmentVersion.pdf_started_at.is_(None)
    )
    if assessment_ids is not None:
        query = query.where(AssessmentVersion.assessment_id.in_(assessment_ids))
    return list(db.session.scalars(query.order_by(AssessmentVersion.id)))


def render(version_id: int, now: dt.datetime | None = None) -> bool:
    """Render a version's PDF from its snapshot and store it with its SHA-256 (the worker's job).
    The render is claimed first in one short conditional UPDATE (so two workers handed the same
    version do not both render it, unless the first has been silent past the deadline), runs
    outside any write transaction, and is stored by another short one, once. True if stored."""
    if not _claim(version_id, now or utcnow()):
        return False
    return _render_and_store(version_id)


def render_missing(assessment_ids: list[int]) -> int:
    """Render now every version of these assessments still without its PDF (an export, in the
    worker, needs them all). Returns how many were stored."""
    db.session.commit()
    missing = db.session.scalars(
        select(AssessmentVersion.id)
        .where(AssessmentVersion.assessment_id.in_(assessment_ids), AssessmentVersion.pdf_sha256.is_(None))
        .order_by(AssessmentVersion.id)
    ).all()
    return sum(_render_and_store(version_id) for version_id in missing)


def _render_and_store(version_id: int) -> bool:
    """Rendered from the snapshot, stored once: the bytes are the same whoever renders them."""
    version = db.session.get_one(AssessmentVersion, version_id)
    pdf = pdf_of(as_recorded(version), version.by, version.at)
    db.session.commit()  # end the read: the write below begins IMMEDIATE on SQLite
    with writing():
        stored_now: CursorResult = db.session.execute(  # type: ignore[assignment]
            update(AssessmentVersion)
            .where(AssessmentVersion.id == version_id, AssessmentVersion.pdf_sha256.is_(None))
            .values(pdf=pdf, pdf_sha256=hashlib.sha256(pdf).hexdigest(), pdf_queued_at=None, pdf_started_at=None)
        )
        db.session.commit()
    return bool(stored_now.rowcount)


def _claim(version_id: int, now: dt.datetime) -> bool:
    db.session.commit()
    with writing():
        claimed: CursorResult = db.session.execute(  # type: ignore[assignment]
            update(AssessmentVersion)
            .where(
                AssessmentVersion.id == version_id,
                AssessmentVersion.pdf_sha256.is_(None),
                or_(AssessmentVersion.pdf_started_at.is_(None), AssessmentVersion.pdf_started_at < _deadline(now)),
            )
            .values(pdf_started_at=now, pdf_queued_at=func.coalesce(AssessmentVersion.pdf_queued_at, now))
        )
        db.session.commit()
    return bool(claimed.rowcount)


def _deadline(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(minutes=current_app.config["HEAT_EXPORT_STALL_MINUTES"])


def requeue_stalled(now: dt.datetime | None = None) -> list[int]:
    """Versions whose PDF was queued but never started, or started and not stored, past the
    deadline (a worker killed mid-render, a task lost from the queue): queued again now, each
    audited. The caller queues their renders. Run again at once it finds nothing."""
    now = now or utcnow()
    db.session.commit()
    with writing():
        stalled = list(
            db.session.execute(
                select(AssessmentVersion.id, AssessmentVersion.assessment_id, AssessmentVersion.number)
                .where(
                    AssessmentVersion.pdf_queued_at.is_not(None),
                    AssessmentVersion.pdf_sha256.is_(None),
                    func.coalesce(AssessmentVersion.pdf_started_at, AssessmentVersion.pdf_queued_at) < _deadline(now),
                )
                .order_by(AssessmentVersion.id)
            )
        )
        for version_id, assessment_id, number in stalled:
            db.session.execute(
                update(AssessmentVersion)
                .where(AssessmentVersion.id == version_id)
                .values(pdf_queued_at=now, pdf_started_at=None)
            )
            audit.record("pdf_requeued", assessment_id=assessment_id, detail=f"version {number}")
        db.session.commit()
    return [version_id for version_id, _, _ in stalled]


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
    """A version with its PDF's bytes (None until the worker has rendered it): the numbered one,
    or the latest."""
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


def latest(assessment: Assessment) -> tuple[AssessmentVersion, bool]:
    """The latest version with its PDF, and whether it was made now. A record submitted before
    versions were kept gets its first version now ("Recorded before version history"), in a short
    write transaction of its own; the caller then queues its render (`tasks.render_pdfs`), and
    every later download is those bytes."""
    version = stored(assessment)
    if version is not None:
        return version, False
    backfill([assessment.id])
    found = stored(assessment)
    assert found is not None
    return found, True


def backfill(assessment_ids: list[int]) -> int:
    """Give recorded assessments that have no version their first one (its PDF to be rendered
    by the worker). Returns how many."""
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
