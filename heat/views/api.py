"""JSON for the tablet's outbox: saves and submissions made with no signal, sent later.

Every call needs the session, and every change its CSRF token in the `X-CSRFToken` header (the
outbox fetches a fresh one from /api/session before it replays). A replayed save is checked by
the same form classes, with the same messages, as the HTML page; one that cannot be stored is
kept on the server for its practitioner (see services/pending.py), so nothing is dropped.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict

from forms.assessment import section_form
from heat import metrics
from heat.checklist.vocabulary import EDITABLE
from heat.extensions import db
from heat.security import keep_alive, tablet_id, tablet_key
from heat.services import access, checklists, pending
from heat.services import assessments as svc
from heat.views import roles_required
from heat.views.saving import (
    SaveOutcome,
    SubmitOutcome,
    client_key,
    next_url,
    save_from,
    submit_from,
    visit_children,
    whole_number,
)

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.route("/session")
@roles_required(*access.CASE_WORKERS)
def session_state():
    """Who is signed in (as the tablet names them), a CSRF token for replaying the outbox, and the
    key that recovers the tablet's data for this user alone (see security.tablet_key)."""
    return jsonify(user=tablet_id(current_user), csrf=generate_csrf(), key=tablet_key(current_user))


@bp.route("/session/keep-alive", methods=["POST"])
@roles_required(*access.CASE_WORKERS)
def stay_signed_in():
    keep_alive()
    return jsonify(status="ok")


def _fields() -> list[tuple[str, str]]:
    body = request.get_json(silent=True) or {}
    fields = body.get("fields")
    if not isinstance(fields, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, str) for v in pair) for pair in fields
    ):
        abort(400)
    return [(name, value) for name, value in fields]


@bp.route("/children/<int:child_id>/assessments", methods=["POST"])
@roles_required(*access.CASE_WORKERS)
def start(child_id: int):
    """A draft started on a tablet with no signal: its start key makes the server's draft once,
    however often it is sent."""
    child = access.child_for(current_user, child_id, to_change=True)
    fields = MultiDict(_fields())
    chosen = [c for c in svc.household_children(child) if str(c.id) in fields.getlist("children")]
    if not chosen or not (fields.get("start_key") or "").strip():
        return jsonify(status="invalid"), 422
    assessment = svc.start(current_user, chosen, client_key(fields.get("start_key")))
    db.session.commit()
    access.assessment_for(current_user, assessment.id, to_change=True)  # a key is never someone else's
    metrics.TABLET_SAVES.labels("start", "saved").inc()
    return jsonify(status="started", assessment=str(assessment.id))


@bp.route("/assessments/<int:assessment_id>/sections/<section_id>", methods=["POST"])
@roles_required(*access.CASE_WORKERS)
def save_section(assessment_id: int, section_id: str):
    assessment = access.assessment_for(current_user, assessment_id, to_change=True)
    fields = _fields()
    definition = checklists.definition_for(assessment)
    if svc.section_of(definition, section_id) is None:
        abort(404)
    here = url_for("casework.section", assessment_id=assessment.id, section_id=section_id)
    form = section_form(definition, section_id, visit_children(assessment))(
        formdata=MultiDict(fields), meta={"csrf": False}
    )
    outcome, save = save_from(assessment, definition, section_id, form)
    metrics.TABLET_SAVES.labels("section", outcome).inc()
    if save is not None:
        return jsonify(
            status="saved",
            version=save.assessment_version,
            previous_version=(save.assessment_version or 1) - 1,
            section_version=save.section_version,
            next=next_url(assessment, definition, section_id, save.completing),
        )
    # Not stored: kept for its practitioner, shown (with its messages, or as a conflict) when they
    # open the section. The tablet stops holding it once the server holds it.
    db.session.rollback()
    reason = pending.INVALID if outcome == SaveOutcome.INVALID and assessment.status in EDITABLE else pending.CONFLICT
    pending.keep(current_user, assessment.id, section_id, reason, whole_number(form.version.data), fields)
    db.session.commit()
    session["has_kept"] = True
    return jsonify(status=reason, url=here), 409 if reason == pending.CONFLICT else 422


@bp.route("/assessments/<int:assessment_id>/submit", methods=["POST"])
@roles_required(*access.CASE_WORKERS)
def submit(assessment_id: int):
    assessment = access.assessment_for(current_user, assessment_id, to_change=True)
    fields = MultiDict(_fields())
    outcome = submit_from(assessment, fields.get("submission_key"), fields.get("version"))
    metrics.TABLET_SAVES.labels("submit", outcome).inc()
    where = url_for("casework.submitted", assessment_id=assessment.id)
    if outcome == SubmitOutcome.SUBMITTED:
        return jsonify(status="submitted", url=where)
    check = url_for("casework.check", assessment_id=assessment.id)
    return jsonify(status=outcome, url=check), 409 if outcome == SubmitOutcome.CONFLICT else 422
