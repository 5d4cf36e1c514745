"""Saving a section and submitting an assessment, the same way for the HTML pages (blueprint
casework) and for a tablet's outbox replaying them (blueprint api): the form checks the answers,
the service stores them, and the outcome says which page or JSON answer follows."""

from __future__ import annotations

import re
import uuid
from enum import StrEnum

from flask import request, url_for
from flask_login import current_user
from wtforms.validators import ValidationError

from forms.assessment import ChildOnVisit, PhotoField, answers_of, field_key
from heat import metrics, tasks
from heat.checklist.vocabulary import EDITABLE
from heat.extensions import db
from heat.models import Assessment, SectionSave
from heat.services import assessments as svc
from heat.services import notifications, pending, photos


class SaveOutcome(StrEnum):
    """What became of a section's save (the tablet's JSON status and the metrics label too)."""

    SAVED = "saved"
    INVALID = "invalid"  # an answer to change: the page shows why
    CONFLICT = "conflict"  # someone saved the section since the page was opened


class SubmitOutcome(StrEnum):
    """What became of a submission (the tablet's JSON status and the metrics label too)."""

    SUBMITTED = "submitted"  # now, or already
    NOT_READY = "not_ready"  # sections not completed, or answers that cannot all be true
    CONFLICT = "conflict"  # the assessment changed since Check answers was opened


def visit_children(assessment: Assessment) -> tuple[ChildOnVisit, ...]:
    """The children a visit covers, for the questions asked of each (since 2026.4)."""
    return tuple(ChildOnVisit(c.id, c.short_name, c.unborn) for c in assessment.children)


def _photo_fields(definition, section_id: str, form) -> list[tuple[str, PhotoField]]:
    """(item id, its "Add a photo" field) for each checklist item of a section."""
    if section_id not in {d.id for d in definition.domains}:
        return []
    return [(item.id, form[f"photo_{field_key(item.id)}"]) for item in definition.domain(section_id).items]


def keep_photos(assessment: Assessment, definition, section_id: str, form) -> int | None:
    """Keep the photos sent with a section (checked by the form: type and size) if the family
    agreed and they are within the limits: how many were new. Otherwise None, the reason on each
    refused one, and nothing kept. Also refuses a visit section that withdraws the agreement while
    photos are kept. The caller commits."""
    chosen = [(item_id, f.photo) for item_id, f in _photo_fields(definition, section_id, form) if f.photo is not None]
    fields = dict(_photo_fields(definition, section_id, form))
    ok = True
    adding = 0
    for item_id, photo in chosen:
        if photos.kept(assessment, item_id, photo):
            continue  # sent again (a retry, the outbox): kept already
        adding += 1
        if (refused := photos.refusal(assessment, item_id, 1, adding)) is not None:
            fields[item_id].errors = [*fields[item_id].errors, refused]
            ok = False
    if section_id == "visit" and "yes" not in (form.photos_agreed.data or []) and photos.of(assessment.id):
        form.photos_agreed.errors = [*form.photos_agreed.errors, photos.AGREEMENT_KEPT]
        ok = False
    if not ok:
        return None
    for item_id, photo in chosen:
        photos.add(assessment, current_user, item_id, photo)
    return adding


def change_photos(assessment: Assessment, definition, section_id: str, form) -> str | None:
    """ "Add a photo" (whatever photos were chosen on the page) or "Remove photo" (one of them),
    saving no answers: what the banner says, or None when nothing changed (the reason on the field)."""
    removing = whole_number(request.form.get("remove_photo"))
    if removing:
        removed = photos.remove(assessment, current_user, removing)
        db.session.commit()
        return "Photo removed. Your answers are not saved yet." if removed else None
    fields = _photo_fields(definition, section_id, form)
    for _, field in fields:
        field.errors = list(field.process_errors)
        if field.data is not None:
            try:
                field.pre_validate(form)
            except ValidationError as refused:
                field.errors.append(str(refused))
    if not any(field.photo for _, field in fields):
        asked = next((f for _, f in fields if f.name == f"photo_{request.form.get('add_photo')}"), None)
        if asked is not None and not asked.errors:
            asked.errors = ["Select a photo to add"]
        return None
    if any(field.errors for _, field in fields) or keep_photos(assessment, definition, section_id, form) is None:
        db.session.rollback()
        return None
    db.session.commit()
    return "Photo added. Your answers are not saved yet: select ‘Save and continue’ when you have finished."


def save_from(assessment: Assessment, definition, section_id: str, form) -> tuple[SaveOutcome, SectionSave | None]:
    """Validate and store one section from its form (the HTML page's, or a replay from a tablet's
    outbox): (SAVED, the save), (INVALID, None) or (CONFLICT, None). Commits a save, with the
    photos sent with it."""
    completing = not form.save_later.data
    valid = form.validate_for(completing)
    # Photos are kept even when an answer needs changing: a photo is not taken twice.
    added = keep_photos(assessment, definition, section_id, form)
    if added is None:
        db.session.rollback()
        valid = False
    elif added:
        db.session.commit()
    if not valid:
        return SaveOutcome.INVALID, None
    if contradicting := svc.contradictions(assessment, section_id, answers_of(definition, section_id, form)):
        # Answers that cannot all be true: shown on the question or on how the item is known.
        for finding in contradicting:
            key = field_key(finding.item_id or "")
            field = form[f"answer_{key}"] if f"answer_{key}" in form else form[f"source_{key}"]
            field.errors = [*field.errors, finding.text]
        return SaveOutcome.INVALID, None
    try:
        save = svc.save_section(
            assessment,
            current_user,
            section_id,
            answers_of(definition, section_id, form),
            completing=completing,
            seen_version=whole_number(form.version.data),
            save_key=client_key(form.save_key.data),
        )
    except svc.EditConflict:
        db.session.rollback()
        metrics.CONFLICTS.labels("section", _via()).inc()
        return SaveOutcome.CONFLICT, None
    pending.discard(current_user, assessment.id, section_id)
    db.session.commit()
    return SaveOutcome.SAVED, save


def next_url(assessment, definition, section_id, completing, checking=False) -> str:
    """Where a save goes next: the next section; Check answers after the last one, or straight back
    to it when the section was opened with "Change" there; the task list for "come back later"."""
    if not completing:
        return url_for("casework.assessment", assessment_id=assessment.id)
    if checking:
        return url_for("casework.check", assessment_id=assessment.id)
    ids = [s.id for s in svc.sections(definition)]
    position = ids.index(section_id)
    if position + 1 < len(ids):
        return url_for("casework.section", assessment_id=assessment.id, section_id=ids[position + 1])
    return url_for("casework.check", assessment_id=assessment.id)


def submit_from(assessment: Assessment, key: str | None, version) -> SubmitOutcome:
    """Submit (from the check answers page, or replayed from a tablet's outbox): SUBMITTED (now,
    or already), NOT_READY or CONFLICT. Commits a submission."""
    if assessment.status not in EDITABLE:
        return SubmitOutcome.SUBMITTED
    try:
        svc.submit(assessment, current_user, client_key(key), whole_number(version))
    except svc.NotReadyToSubmit:
        db.session.rollback()
        return SubmitOutcome.NOT_READY
    except svc.EditConflict:
        db.session.rollback()
        metrics.CONFLICTS.labels("submit", _via()).inc()
        return SubmitOutcome.CONFLICT
    db.session.commit()
    tasks.render_pdfs([assessment.id])
    tasks.notify(notifications.RED_SUBMITTED, assessment.id)  # when it is Red
    return SubmitOutcome.SUBMITTED


def _via() -> str:
    return "tablet" if request.blueprint == "api" else "page"


def client_key(value: str | None) -> str:
    """The client's key for a start, save or submission (letters, digits, - and _); a page
    without one gets a fresh key."""
    return re.sub(r"[^A-Za-z0-9_-]", "", value or "")[:64] or uuid.uuid4().hex


def whole_number(value) -> int:
    """A posted number (a version), or 0 for anything else."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
