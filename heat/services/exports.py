"""Auditor exports: a ZIP of each assessment's stored PDF (its latest version, the bytes every
download serves) and its photos, a CSV of every item grade, a CSV of review decisions, and the version history
(versions.csv, and each version's snapshot as JSON), built outside the request by the task queue
with its progress stored as it goes.

An export cannot get stuck. A build first claims it (one conditional UPDATE, so two builds never
own it at once) and stores its progress as it goes; a build that finds its claim taken over stops.
An export silent for HEAT_EXPORT_STALL_MINUTES -- its worker killed mid-build, or its task lost
from the queue -- is re-queued by a periodic task (`requeue_stalled`), and its requester sees it
as stopped with "Try again".
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from heat import metrics
from heat.checklist.vocabulary import EVIDENCE_SOURCES, RECORDED
from heat.database import writing
from heat.extensions import db
from heat.files import open_private, private_folder
from heat.models import Assessment, AssessmentVersion, Child, Export, Team, User, utcnow
from heat.reports.csv_export import csv_bytes
from heat.services import adults, audit, photos, versions
from heat.services.checklists import definition_for
from heat.services.errors import FieldError

PROGRESS_EVERY = 5
QUEUE_UNAVAILABLE = "queue_unavailable"  # Export.error when the request could not reach the queue

# What the requester sees: the label and tag of each state. "stalled" is never stored: it is an
# export waiting or running that has been silent past the deadline.
STATES = {
    "queued": ("Waiting to start", "govuk-tag--grey"),
    "running": ("In progress", "govuk-tag--blue"),
    "stalled": ("Stopped", "govuk-tag--red"),
    "failed": ("Failed", "govuk-tag--red"),
    "done": ("Ready", "govuk-tag--green"),
    "expired": ("Deleted", "govuk-tag--grey"),
}
RETRYABLE = frozenset({"stalled", "failed"})


class Superseded(Exception):
    """Another build has claimed the export (this one was silent past the deadline): stop."""


def stall_minutes() -> int:
    return current_app.config["HEAT_EXPORT_STALL_MINUTES"]


def _deadline(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(minutes=stall_minutes())


def _stalled(now: dt.datetime):
    return and_(Export.status.in_(("queued", "running")), Export.progress_at < _deadline(now))


def state(export: Export, now: dt.datetime | None = None) -> str:
    if export.status in ("queued", "running") and export.progress_at < _deadline(now or utcnow()):
        return "stalled"
    return export.status


def _assessments(team_ids: list[int], date_from: dt.date, date_to: dt.date):
    return select(Assessment).where(
        Assessment.team_id.in_(team_ids),
        Assessment.status.in_(RECORDED),
        Assessment.visit_date >= date_from,
        Assessment.visit_date <= date_to,
    )


def create(user: User, team_ids: list[int], date_from: dt.date | None, date_to: dt.date | None) -> Export:
    """Record an export request; the caller commits and then queues build_export."""
    if date_from is None:
        raise FieldError("date_from", "Enter the start date")
    if date_to is None:
        raise FieldError("date_to", "Enter the end date")
    if date_to < date_from:
        raise FieldError("date_to", "The end date must be the same as or after the start date")
    known = set(db.session.scalars(select(Team.id).where(Team.id.in_(team_ids))))
    if not team_ids or known != set(team_ids):
        raise FieldError("teams", "Select at least one team from the list")
    if db.session.scalar(_assessments(team_ids, date_from, date_to).with_only_columns(Assessment.id).limit(1)) is None:
        raise FieldError(
            "date_from", "There are no submitted assessments for those teams and dates. Choose other dates or teams"
        )
    export = Export(requested_by=user, team_ids=sorted(team_ids), date_from=date_from, date_to=date_to, status="queued")
    db.session.add(export)
    db.session.flush()
    metrics.EXPORTS.labels("requested").inc()
    audit.record(
        "export_requested", user=user, detail=f"export {export.id}: teams {sorted(team_ids)} {date_from}..{date_to}"
    )
    return export


def export_path(export: Export) -> Path:
    return Path(current_app.config["HEAT_EXPORT_DIR"]) / f"export-{export.id}.zip"


def build(export_id: int) -> None:
    attempt = _claim(export_id)
    if attempt is None:
        return  # done, deleted, or being built by another worker that is still making progress
    export = db.session.get_one(Export, export_id)
    try:
        _build(export, attempt)
        metrics.EXPORTS.labels("built").inc()
    except Superseded:
        db.session.rollback()
    except Exception as exc:  # recorded for the auditor to see, then re-raised for the worker's log
        db.session.rollback()
        metrics.EXPORTS.labels("failed").inc()
        try:
            _save(export_id, attempt, status="failed", error=type(exc).__name__)
        except Superseded:
            pass  # another build has it now: its outcome is the one to show
        raise
    finally:
        _partial(export, attempt).unlink(missing_ok=True)


def _claim(export_id: int) -> int | None:
    """Take the export for this build, in one conditional UPDATE: waiting, failed, or silent past
    the deadline. Two workers handed the same export both try; the database lets one through."""
    db.session.commit()
    now = utcnow()
    with writing():
        claimed = db.session.execute(
            update(Export)
            .where(Export.id == export_id, or_(Export.status.in_(("queued", "failed")), _stalled(now)))
            .values(status="running", attempt=Export.attempt + 1, progress_at=now, done=0, error=None)
            .returning(Export.attempt)
        ).scalar()
        db.session.commit()
    return claimed


def _save(export_id: int, attempt: int, **values) -> None:
    """Store progress in a short write transaction of its own, only while this build owns the
    export. The read transaction left open by loading and rendering ends first: upgrading it to a
    write could fail if another writer went first."""
    db.session.commit()
    with writing():
        saved = db.session.execute(
            update(Export)
            .where(Export.id == export_id, Export.attempt == attempt)
            .values(progress_at=utcnow(), **values)
            .returning(Export.id)
            .execution_options(synchronize_session=False)
        ).scalar()
        db.session.commit()
    if saved is None:
        raise Superseded(export_id)


def _partial(export: Export, attempt: int) -> Path:
    """Each build writes its own partial file: a build that was taken over never spoils the next."""
    return export_path(export).with_suffix(f".{attempt}.part")


def _build(export: Export, attempt: int) -> None:
    ids = list(
        db.session.scalars(
            _assessments(export.team_ids, export.date_from, export.date_to)
            .with_only_columns(Assessment.id)
            .order_by(Assessment.visit_date, Assessment.id)
        )
    )
    _save(export.id, attempt, total=len(ids), done=0)
    path = export_path(export)
    private_folder(path.parent)
    partial = _partial(export, attempt)
    items: list[list[object]] = [
        [
            "assessment_id",
            "child_identifier",
            "visit_date",
            "domain",
            "item_id",
            "grade",
            "evidence_source",
            "rating",
            "checklist_version",
        ]
    ]
    history: list[list[object]] = [
        [
            "assessment_id",
            "version",
            "what_happened",
            "by",
            "at_utc",
            "rating",
            "checklist_version",
            "pdf_sha256",
        ]
    ]
    decisions: list[list[object]] = [
        ["assessment_id", "child_identifier", "visit_date", "decision", "reviewer", "decided_at_utc", "rationale"]
    ]
    children: dict[int, Child] = {}
    with open_private(partial) as file, zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for n in range(0, len(ids), PROGRESS_EVERY):
            # Records submitted before versions were kept get their first version now, and any
            # version whose PDF the worker has not rendered yet gets it now, a batch at a time so
            # progress is heard between them.
            versions.backfill(ids[n : n + PROGRESS_EVERY])
            versions.render_missing(ids[n : n + PROGRESS_EVERY])
            batch = db.session.scalars(
                select(Assessment)
                .where(Assessment.id.in_(ids[n : n + PROGRESS_EVERY]))
                .order_by(Assessment.visit_date, Assessment.id)
                .options(
                    selectinload(Assessment.grades),
                    selectinload(Assessment.rooms),
                    selectinload(Assessment.children),
                    selectinload(Assessment.decisions),
                )
            ).all()
            pdfs = _latest_pdfs([a.id for a in batch])
            for kept in db.session.scalars(
                select(AssessmentVersion)
                .where(AssessmentVersion.assessment_id.in_([a.id for a in batch]))
                .order_by(AssessmentVersion.assessment_id, AssessmentVersion.number)
                .options(joinedload(AssessmentVersion.by))
            ):
                history.append(
                    [
                        kept.assessment_id,
                        kept.number,
                        kept.label,
                        kept.by.name if kept.by else "",
                        kept.at.isoformat(),
                        kept.rating or "",
                        kept.checklist_version,
                        kept.pdf_sha256,
                    ]
                )
                archive.writestr(
                    f"versions/assessment-{kept.assessment_id}-version-{kept.number}.json",
                    json.dumps(kept.snapshot, ensure_ascii=False, indent=1, sort_keys=True),
                )
            for assessment in batch:
                definition = definition_for(assessment)
                references = ";".join(c.reference for c in assessment.children)
                # The PDF stored with the latest version, as every download serves it (already
                # compressed: stored in the ZIP as it is).
                archive.writestr(f"assessments/assessment-{assessment.id}.pdf", pdfs[assessment.id], zipfile.ZIP_STORED)
                # Its photos (in the PDF too), each as kept: a JPEG with no metadata.
                for item_id, taken in photos.of(assessment.id).items():
                    for number, photo in enumerate(taken, 1):
                        archive.writestr(
                            f"photos/assessment-{assessment.id}/{item_id}-{number}.jpg",
                            photos.jpeg(photo),
                            zipfile.ZIP_STORED,
                        )
                grades = {g.item_id: g for g in assessment.grades}
                children.update({c.id: c for c in assessment.children})
                for child in assessment.children:
                    for item in definition.items:
                        g = grades.get(item.id)
                        items.append(
                            [
                                assessment.id,
                                child.reference,
                                assessment.visited_on.isoformat(),
                                item.domain_id,
                                item.id,
                                g.grade if g else "NS",
                                EVIDENCE_SOURCES.get(g.evidence_source or "", "") if g else "",
                                assessment.recorded_rating,
                                assessment.checklist_version,
                            ]
                        )
                for d in assessment.decisions:
                    decisions.append(
                        [
                            assessment.id,
                            references,
                            assessment.visited_on.isoformat(),
                            d.label,
                            d.reviewer.name,
                            d.decided_at.isoformat(),
                            d.rationale,
                        ]
                    )
            _save(export.id, attempt, done=min(len(ids), n + PROGRESS_EVERY))
        archive.writestr("items.csv", csv_bytes(items))
        archive.writestr("review-decisions.csv", csv_bytes(decisions))
        archive.writestr("versions.csv", csv_bytes(history))
        archive.writestr("people.csv", csv_bytes(_people_rows(list(children.values()))))
    _save(export.id, attempt)  # still ours: only then does the file take the export's name
    partial.replace(path)
    _save(export.id, attempt, status="done", filename=path.name, finished_at=utcnow())


def _people_rows(children: list[Child]) -> list[list[object]]:
    """The adults on each exported child's register, with whether and when they were seen."""
    rows: list[list[object]] = [
        [
            "child_identifier",
            "adult",
            "relationship",
            "sex",
            "lives_here",
            "cares_for_child",
            "parental_responsibility",
            "recorded_on",
            "visits_seen_at",
            "last_seen",
            "never_seen_and_must_be_seen",
            "checks",
        ]
    ]
    for child in sorted(children, key=lambda c: c.reference):
        for s in adults.seen(child):
            a = s.adult
            rows.append(
                [
                    child.reference,
                    a.name,
                    a.relationship_label,
                    a.sex or "",
                    a.residence_label,
                    a.cares_for_child,
                    a.parental_responsibility,
                    a.recorded_on.isoformat(),
                    len(s.visit_ids),
                    s.last_seen.isoformat() if s.last_seen else "",
                    "yes" if a.must_be_seen and not s.visit_ids else "no",
                    "; ".join(f"{c.checked_on.isoformat()}: {c.note}" for c in a.checks),
                ]
            )
    return rows


def requeue_stalled(now: dt.datetime | None = None) -> list[int]:
    """Exports waiting or running but silent past the deadline go back to waiting; the caller
    queues their builds again. Run again at once it finds nothing (they were heard from now), and
    a build queued twice is claimed once."""
    now = now or utcnow()
    db.session.commit()
    with writing():
        stalled = list(db.session.scalars(select(Export).where(_stalled(now)).order_by(Export.id)))
        for export in stalled:
            audit.record(
                "export_requeued",
                target_user_id=export.requested_by_id,
                detail=f"export {export.id}: {export.status} at {export.done} of {export.total}",
            )
            export.status, export.progress_at = "queued", now
        db.session.commit()
    return [export.id for export in stalled]


def retry(user: User, export: Export) -> Export:
    """ "Try again" on a failed or stopped export: it waits to start again. The caller commits,
    then queues the build."""
    if state(export) not in RETRYABLE:
        raise FieldError("retry", "This export is already being made or is finished")
    export.status, export.progress_at, export.error = "queued", utcnow(), None
    audit.record("export_retried", user=user, detail=f"export {export.id}")
    return export


def not_queued(export_id: int) -> None:
    """The queue could not be reached: the export says so at once (with "Try again") rather
    than waiting to start forever."""
    db.session.rollback()
    with writing():
        export = db.session.get_one(Export, export_id)
        export.status, export.error = "failed", QUEUE_UNAVAILABLE
        db.session.commit()
    metrics.EXPORTS.labels("not_queued").inc()


def expire(now: dt.datetime | None = None) -> int:
    """Delete the ZIPs of exports finished more than HEAT_EXPORT_RETENTION_DAYS ago (a periodic
    task runs this); each export's row stays, marked expired, and the deletion is audited."""
    cutoff = (now or utcnow()) - dt.timedelta(days=current_app.config["HEAT_EXPORT_RETENTION_DAYS"])
    with writing():
        old = list(db.session.scalars(select(Export).where(Export.status == "done", Export.finished_at < cutoff)))
        for export in old:
            export.status = "expired"
            audit.record("export_expired", target_user_id=export.requested_by_id, detail=f"export {export.id}")
        db.session.commit()
    for export in old:  # after the commit: a file is never gone while its export still says "done"
        export_path(export).unlink(missing_ok=True)
    return len(old)


def _latest_pdfs(assessment_ids: list[int]) -> dict[int, bytes]:
    latest = (
        select(func.max(AssessmentVersion.id))
        .where(AssessmentVersion.assessment_id.in_(assessment_ids))
        .group_by(AssessmentVersion.assessment_id)
    )
    rows = db.session.execute(
        select(AssessmentVersion.assessment_id, AssessmentVersion.pdf).where(AssessmentVersion.id.in_(latest))
    )
    return {assessment_id: pdf for assessment_id, pdf in rows if pdf is not None}


def exports_of(user: User) -> list[Export]:
    """The user's latest exports, newest first (the template asks `state` for each)."""
    return list(
        db.session.scalars(
            select(Export).where(Export.requested_by_id == user.id).order_by(Export.requested_at.desc()).limit(20)
        )
    )
