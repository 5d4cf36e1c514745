"""Auditor exports: a ZIP of each assessment's stored PDF (its latest version, the bytes every
download serves), a CSV of every item grade, a CSV of review decisions, and the version history
(versions.csv, and each version's snapshot as JSON), built outside the request by the task queue
with its progress stored as it goes."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from heat.database import writing
from heat.extensions import db
from heat.files import open_private, private_folder
from heat.models import (
    EVIDENCE_SOURCES,
    RECORDED,
    Assessment,
    AssessmentVersion,
    Child,
    Export,
    Team,
    User,
    utcnow,
)
from heat.reports.csv_export import csv_bytes
from heat.services import adults, audit, versions
from heat.services.checklists import definition_for
from heat.services.errors import FieldError

PROGRESS_EVERY = 5


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
    audit.record(
        "export_requested", user=user, detail=f"export {export.id}: teams {sorted(team_ids)} {date_from}..{date_to}"
    )
    return export


def export_path(export: Export) -> Path:
    return Path(current_app.config["HEAT_EXPORT_DIR"]) / f"export-{export.id}.zip"


def build(export_id: int) -> None:
    export = db.session.get(Export, export_id)
    if export is None or export.status not in ("queued", "failed"):
        return
    try:
        _build(export)
    except Exception as exc:  # recorded for the auditor to see, then re-raised for the worker's log
        db.session.rollback()
        _save(db.session.get_one(Export, export_id), status="failed", error=type(exc).__name__)
        raise


def _save(export: Export, **values) -> None:
    """Store progress in a short write transaction of its own. The read transaction left open by
    loading and rendering ends first: upgrading it to a write could fail if another writer went first."""
    db.session.commit()
    with writing():
        for name, value in values.items():
            setattr(export, name, value)
        db.session.commit()


def _build(export: Export) -> None:
    ids = list(
        db.session.scalars(
            _assessments(export.team_ids, export.date_from, export.date_to)
            .with_only_columns(Assessment.id)
            .order_by(Assessment.visit_date, Assessment.id)
        )
    )
    _save(export, status="running", total=len(ids), done=0)
    # Records submitted before versions were kept get their first version (and stored PDF) now.
    versions.backfill(ids)
    path = export_path(export)
    private_folder(path.parent)
    partial = path.with_suffix(".part")
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
            _save(export, done=min(len(ids), n + PROGRESS_EVERY))
        archive.writestr("items.csv", csv_bytes(items))
        archive.writestr("review-decisions.csv", csv_bytes(decisions))
        archive.writestr("versions.csv", csv_bytes(history))
        archive.writestr("people.csv", csv_bytes(_people_rows(list(children.values()))))
    partial.replace(path)
    _save(export, status="done", filename=path.name, finished_at=utcnow())


def _people_rows(children: list[Child]) -> list[list[object]]:
    """The adults on each exported child's register, with whether and when they were seen."""
    rows: list[list[object]] = [
        [
            "child_identifier",
            "adult",
            "relationship",
            "lives_here",
            "cares_for_child",
            "recorded_on",
            "visits_seen_at",
            "last_seen",
            "never_seen_and_in_the_home",
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
                    a.relationship_to_child or "",
                    a.residence_label,
                    a.cares_for_child,
                    a.recorded_on.isoformat(),
                    len(s.visit_ids),
                    s.last_seen.isoformat() if s.last_seen else "",
                    "yes" if a.in_the_home and not s.visit_ids else "no",
                    "; ".join(f"{c.checked_on.isoformat()}: {c.note}" for c in a.checks),
                ]
            )
    return rows


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
    return {assessment_id: pdf for assessment_id, pdf in rows}


def exports_of(user: User) -> list[Export]:
    return list(
        db.session.scalars(
            select(Export).where(Export.requested_by_id == user.id).order_by(Export.requested_at.desc()).limit(20)
        )
    )
