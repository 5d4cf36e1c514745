"""Caseload, children and assessments: what practitioners, supervisors and auditors work with."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from markupsafe import Markup

from forms.assessment import StartForm, SubmitForm, answers_of, form_data, section_form
from heat.extensions import db
from heat.models import EDITABLE, RECORDED, Assessment, utcnow
from heat.reports import pdf
from heat.services import access, audit, checklists, chronology, history, paging
from heat.services import assessments as svc
from heat.views import answers, roles_required

bp = Blueprint("casework", __name__)
CASE_ROLES = ("practitioner", "supervisor", "auditor")


@bp.route("/")
@login_required
def home():
    if current_user.role == "admin":
        return redirect(url_for("admin.users"))
    return redirect(url_for("casework.caseload"))


@bp.route("/caseload")
@roles_required(*CASE_ROLES)
def caseload():
    pager = paging.paginate(access.caseload_query(current_user), request.args.get("page", type=int))
    audit.record("caseload_viewed", user=current_user)
    db.session.commit()
    return render_template("casework/caseload.html", pager=pager)


@bp.route("/children/<int:child_id>")
@roles_required(*CASE_ROLES)
def child(child_id: int):
    child = access.child_for(current_user, child_id)
    assessments = svc.child_assessments(child)
    record = history.history(child, assessments=assessments)
    kind = request.args.get("kind") or None
    titles, rows = history.trend_rows(record)
    items = chronology.chronology(child, record, kind, assessments)
    audit.record("child_viewed", user=current_user, child_id=child.id)
    db.session.commit()
    return render_template(
        "casework/child.html",
        child=child,
        history=assessments,
        record=record,
        dates={v.id: v.visit_date for v in record.visits},
        chart=Markup(history.trend_chart(record, titles, rows)),
        titles=titles,
        rows=rows,
        items=items,
        kinds=chronology.CHRONOLOGY_KINDS,
        kind=kind,
        can_assess=access.can_assess(current_user),
    )


@bp.route("/children/<int:child_id>/assessments/new", methods=["GET", "POST"])
@roles_required(*access.CASEWORK_ROLES)
def start_assessment(child_id: int):
    child = access.child_for(current_user, child_id)
    household = svc.household_children(child)
    form = StartForm()
    form.children.choices = [(str(c.id), f"{c.name} ({c.age_on(dt.date.today())})") for c in household]
    if request.method == "GET":
        form.children.data = [str(child.id)]
        form.start_key.data = uuid.uuid4().hex
    if form.validate_on_submit():
        chosen = [c for c in household if str(c.id) in form.children.data]
        key = _key(form.start_key.data)
        assessment = svc.start(current_user, chosen, key)
        db.session.commit()
        return redirect(url_for("casework.assessment", assessment_id=assessment.id))
    return render_template(
        "casework/start.html", child=child, form=form, version=checklists.current_definition().version
    )


@bp.route("/assessments/<int:assessment_id>")
@roles_required(*CASE_ROLES)
def assessment(assessment_id: int):
    assessment = access.assessment_for(current_user, assessment_id)
    audit.record("assessment_viewed", user=current_user, assessment_id=assessment.id)
    db.session.commit()
    if assessment.status in RECORDED:
        return render_template("casework/result.html", **result_context(assessment))
    definition = checklists.definition_for(assessment)
    return render_template(
        "casework/task_list.html",
        assessment=assessment,
        sections=svc.sections(definition),
        statuses=svc.section_statuses(assessment),
        labels=svc.STATUS_LABELS,
        can_edit=access.can_assess(current_user),
    )


def result_context(assessment: Assessment) -> dict:
    definition = checklists.definition_for(assessment)
    return {
        "assessment": assessment,
        "definition": definition,
        "score": checklists.score_of(assessment),
        "grades": {g.item_id: g for g in assessment.grades},
        "rooms": {r.room_id: r for r in assessment.rooms},
    }


@bp.route("/assessments/<int:assessment_id>/sections/<section_id>", methods=["GET", "POST"])
@roles_required(*access.CASEWORK_ROLES)
def section(assessment_id: int, section_id: str):
    assessment = access.assessment_for(current_user, assessment_id, to_change=True)
    definition = checklists.definition_for(assessment)
    current = svc.section_of(definition, section_id)
    if current is None:
        abort(404)
    if assessment.status not in EDITABLE:
        return redirect(url_for("casework.assessment", assessment_id=assessment.id))
    form_class = section_form(definition, section_id)
    if request.method == "GET":
        stored = form_data(definition, section_id, svc.section_answers(assessment, section_id))
        form = form_class(
            data={**stored, "version": svc.section_version(assessment, section_id), "save_key": uuid.uuid4().hex}
        )
    else:
        form = form_class()
        completing = not form.save_later.data
        if form.validate_for(completing):
            try:
                save = svc.save_section(
                    assessment,
                    current_user,
                    section_id,
                    answers_of(definition, section_id, form),
                    completing=completing,
                    seen_version=_int(form.version.data),
                    save_key=_key(form.save_key.data),
                )
            except svc.EditConflict:
                db.session.rollback()
                return _conflict(assessment_id, section_id, form)
            db.session.commit()
            # A retry of a save already made is answered as that save was.
            return redirect(_next_url(assessment, definition, section_id, save.completing))
    previous = svc.previous_assessment(assessment) if section_id in {d.id for d in definition.domains} else None
    return render_template(
        "casework/section.html",
        assessment=assessment,
        section=current,
        form=form,
        definition=definition,
        previous=previous,
        previous_grades=history.summarise(previous).grades if previous else {},
        previous_definition=checklists.definition_for(previous) if previous else None,
    )


def _next_url(assessment, definition, section_id, completing) -> str:
    if not completing:
        return url_for("casework.assessment", assessment_id=assessment.id)
    ids = [s.id for s in svc.sections(definition)]
    position = ids.index(section_id)
    if position + 1 < len(ids):
        return url_for("casework.section", assessment_id=assessment.id, section_id=ids[position + 1])
    return url_for("casework.check", assessment_id=assessment.id)


_NOT_RESENT = {"csrf_token", "version", "save_key", "save", "save_later"}


def _conflict(assessment_id: int, section_id: str, mine):
    assessment = access.assessment_for(current_user, assessment_id, to_change=True)
    definition = checklists.definition_for(assessment)
    saved = section_form(definition, section_id)(
        formdata=None,
        data=form_data(definition, section_id, svc.section_answers(assessment, section_id)),
        meta={"csrf": False},
    )
    # "Keep my answers" sends what was typed again, on top of the saved version, as a new save.
    resend = [(name, value) for name, value in request.form.items(multi=True) if name not in _NOT_RESENT]
    return (
        render_template(
            "casework/conflict.html",
            assessment=assessment,
            section=svc.section_of(definition, section_id),
            comparison=answers.compare(answers.rows(mine), answers.rows(saved)),
            resend=resend,
            version=svc.section_version(assessment, section_id),
            save_key=uuid.uuid4().hex,
            completing=not mine.save_later.data,
        ),
        409,
    )


@bp.route("/assessments/<int:assessment_id>/check")
@roles_required(*access.CASEWORK_ROLES)
def check(assessment_id: int):
    assessment = access.assessment_for(current_user, assessment_id, to_change=True)
    if assessment.status not in EDITABLE:
        return redirect(url_for("casework.assessment", assessment_id=assessment.id))
    form = SubmitForm(data={"version": assessment.version, "submission_key": uuid.uuid4().hex})
    return render_template("casework/check.html", **_check_context(assessment), form=form, missing=[])


def _check_context(assessment: Assessment) -> dict:
    definition = checklists.definition_for(assessment)
    summaries = []
    for s in svc.sections(definition):
        form = section_form(definition, s.id)(
            formdata=None,
            data=form_data(definition, s.id, svc.section_answers(assessment, s.id)),
            meta={"csrf": False},
        )
        summaries.append((s, answers.rows(form)))
    return {
        "assessment": assessment,
        "summaries": summaries,
        "statuses": svc.section_statuses(assessment),
        "labels": svc.STATUS_LABELS,
        "score": checklists.score_of(assessment),
    }


@bp.route("/assessments/<int:assessment_id>/submit", methods=["POST"])
@roles_required(*access.CASEWORK_ROLES)
def submit(assessment_id: int):
    assessment = access.assessment_for(current_user, assessment_id, to_change=True)
    form = SubmitForm()
    if assessment.status not in EDITABLE:
        return redirect(url_for("casework.assessment", assessment_id=assessment.id))
    if not form.validate_on_submit() or not (form.submission_key.data or "").strip():
        abort(400)
    try:
        svc.submit(assessment, current_user, _key(form.submission_key.data), _int(form.version.data))
    except svc.NotReadyToSubmit as exc:
        db.session.rollback()
        return render_template(
            "casework/check.html", **_check_context(assessment), form=form, missing=exc.sections
        ), 400
    except svc.EditConflict:
        db.session.rollback()
        return render_template(
            "casework/check.html",
            **_check_context(assessment),
            form=SubmitForm(data={"version": assessment.version, "submission_key": form.submission_key.data}),
            missing=[],
            stale=True,
        ), 409
    db.session.commit()
    return redirect(url_for("casework.assessment", assessment_id=assessment.id))


def _key(value: str | None) -> str:
    """The client's key for a start, save or submission (letters, digits, - and _); a page
    without one gets a fresh key."""
    return re.sub(r"[^A-Za-z0-9_-]", "", value or "")[:64] or uuid.uuid4().hex


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@bp.route("/assessments/<int:assessment_id>/pdf")
@roles_required(*CASE_ROLES)
def assessment_pdf(assessment_id: int):
    assessment = access.assessment_for(current_user, assessment_id)
    if assessment.status not in RECORDED:
        abort(404)
    document = pdf.render_pdf(
        "reports/assessment.html", generated_by=current_user.name, generated_at=utcnow(), **result_context(assessment)
    )
    audit.record("assessment_pdf", user=current_user, assessment_id=assessment.id)
    db.session.commit()
    return Response(
        document,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="heat-assessment-{assessment.id}.pdf"'},
    )
