"""Caseload, children and assessments: what practitioners, supervisors and auditors work with."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import FieldList

from forms.assessment import (
    MAX_ROWS,
    NoAccessForm,
    StartForm,
    SubmitForm,
    form_data,
    section_form,
    tablet_rules,
)
from heat import tasks
from heat.checklist.vocabulary import EDITABLE, RECORDED, ROOM_UNSEEN
from heat.extensions import db
from heat.models import Assessment, AssessmentVersion
from heat.reports.pdf import render_pdf
from heat.services import (
    access,
    agencies,
    audit,
    checklists,
    child_record,
    chronology,
    family_copy,
    history,
    joint,
    no_access,
    paging,
    pending,
    photos,
    register,
    versions,
)
from heat.services import assessments as svc
from heat.views import answers, audited, carried_out, kept_page, recorded_visit_context, roles_required
from heat.views.saving import (
    SaveOutcome,
    SubmitOutcome,
    change_photos,
    client_key,
    next_url,
    save_from,
    submit_from,
    visit_children,
    whole_number,
)

bp = Blueprint("casework", __name__)


@bp.route("/")
@login_required
def home():
    if current_user.role == "admin":
        return redirect(url_for("admin.users"))
    return redirect(url_for("casework.caseload"))


@bp.route("/caseload")
@roles_required(*access.CASE_READERS)
def caseload():
    pager = paging.paginate(access.caseload_query(current_user), request.args.get("page", type=int))
    waiting = len(child_record.transfers_in(current_user)) if current_user.role == "supervisor" else 0
    to_grade = joint.waiting_for(current_user) if current_user.role == "practitioner" else []
    audit.record("caseload_viewed", user=current_user)
    db.session.commit()
    return render_template(
        "casework/caseload.html",
        pager=pager,
        transfers_in=waiting,
        joint_visits=to_grade,
        # A visit of record the user is grading too: its rating waits until both have submitted.
        hidden_ratings={j.assessment_id for j in to_grade},
    )


@bp.route("/children/<int:child_id>")
@roles_required(*access.CASE_READERS)
def child(child_id: int):
    child = access.child_for(current_user, child_id)
    assessments = joint.not_blinded(current_user, svc.child_assessments(child))
    changes = history.plan_changes(child.id)
    record = history.history(child, assessments=assessments, changes=changes)
    kind = request.args.get("kind") or None
    titles, rows = history.trend_rows(record)
    items = chronology.chronology(child, record, kind, assessments, changes)
    addresses = register.addresses(child.id)
    moves = [(a.from_date, a.kind_label) for a in reversed(addresses) if a.is_move]
    # Read before the page view is recorded, which ends the read transaction.
    transfer = child_record.pending_transfer(child)
    waiting = agencies.overdue_count(child)
    audit.record("child_viewed", user=current_user, child_id=child.id)
    db.session.commit()
    return render_template(
        "casework/child.html",
        child=child,
        history=assessments,
        record=record,
        dates={v.id: v.visit_date for v in record.visits},
        chart=Markup(history.trend_chart(record, titles, rows, moves, changes)),
        trend_summary=history.trend_sentence(record, titles, rows, moves, changes),
        titles=titles,
        rows=rows,
        items=items,
        kinds=chronology.CHRONOLOGY_KINDS,
        kind=kind,
        can_assess=access.can_assess(current_user) and child.team_id == current_user.team_id,
        step_down=next((c for c in changes if c.status == "requested"), None),
        addresses=addresses,
        transfer=transfer,
        waiting_for_information=waiting,
        request_limit=checklists.current_definition().trends.request_working_days,
    )


@bp.route("/children/<int:child_id>/no-access/new", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def record_no_access(child_id: int) -> ResponseReturnValue:
    child = access.child_for(current_user, child_id, to_change=True)
    form = NoAccessForm()
    if form.validate_on_submit() and carried_out(
        form,
        lambda: no_access.record(
            child,
            current_user,
            form.attempted_on.data,
            dt.datetime.strptime(form.attempted_at.data.strip(), "%H:%M").time() if form.attempted_at.data else None,
            form.reason.data,
            form.next_steps.data or "",
        ),
    ):
        flash("Visit where you could not get in recorded. The next visit is still due.", "success")
        return redirect(url_for("casework.child", child_id=child.id))
    return render_template(
        "oversight/form.html", child=child, form=form, title="Record a visit where you could not get in"
    )


@bp.route("/children/<int:child_id>/assessments/new", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def start_assessment(child_id: int):
    child = access.child_for(current_user, child_id, to_change=True)
    household = svc.household_children(child)
    form = StartForm()
    form.children.choices = [(str(c.id), f"{c.name} ({c.age_on(dt.date.today())})") for c in household]
    if request.method == "GET":
        form.children.data = [str(child.id)]
        form.start_key.data = uuid.uuid4().hex
    if form.validate_on_submit():
        chosen = [c for c in household if str(c.id) in form.children.data]
        key = client_key(form.start_key.data)
        assessment = svc.start(current_user, chosen, key)
        db.session.commit()
        return redirect(url_for("casework.assessment", assessment_id=assessment.id))
    return render_template(
        "casework/start.html", child=child, form=form, version=checklists.current_definition().version
    )


# Where a new assessment's address goes in the pages a tablet keeps for starting one offline.
DRAFT = "__DRAFT__"


@bp.route("/children/<int:child_id>/assessments/new/offline")
@roles_required(*access.CASE_WORKERS)
@audited("offline_start_stored")
def offline_start(child_id: int):
    """What a tablet needs to start and finish an assessment for this child with no signal: the
    task list, every section and Check answers of the draft "Start a new assessment" would make
    now, drawn from that draft (never kept) with `__DRAFT__` where its address goes. The tablet
    puts its own start key there; the start key makes the server's draft once it is sent.

    For the children of the household named by `?children=` (this child alone without it), as
    "Which children does this visit cover?" would choose them; `household` names them all, so
    the tablet can ask for the visit covering them together too."""
    child = access.child_for(current_user, child_id, to_change=True)
    household = svc.household_children(child)
    asked = request.args.getlist("children") or [str(child.id)]
    chosen = [c for c in household if str(c.id) in asked]
    if len(chosen) != len(set(asked)):
        abort(404)  # not children of this household
    pages = {}
    with svc.unsaved_draft(current_user, chosen) as draft:
        definition = checklists.definition_for(draft)
        pages[url_for("casework.assessment", assessment_id=draft.id)] = _task_list_page(draft, set())
        for s in svc.sections(definition):
            form = _fresh_form(draft, definition, s.id)
            spare_rows(form)
            url = url_for("casework.section", assessment_id=draft.id, section_id=s.id)
            pages[url] = _section_page(draft, definition, s.id, form)
        pages[url_for("casework.check", assessment_id=draft.id)] = _check_page(draft)
        address = re.compile(
            rf'(?<=/assessments/){draft.id}(?=[/"?#]|$)|(?<=data-heat-offline-assessment="){draft.id}(?=")'
        )
    return jsonify(
        title=", ".join(c.name for c in chosen),
        children=[str(c.id) for c in chosen],
        household=[str(c.id) for c in household],
        pages={address.sub(DRAFT, path): address.sub(DRAFT, html) for path, html in pages.items()},
    )


@bp.route("/assessments/<int:assessment_id>")
@roles_required(*access.CASE_READERS)
def assessment(assessment_id: int):
    assessment = access.assessment_for(current_user, assessment_id)
    audit.record("assessment_viewed", user=current_user, assessment_id=assessment.id)
    db.session.commit()
    if assessment.status in RECORDED:
        return render_template(
            "casework/result.html",
            versions=versions.versions_of(assessment),
            can_invite=joint.may_invite(current_user, assessment),
            **recorded_visit_context(assessment),
        )
    return kept_page(_task_list_page(assessment, _kept_sections(assessment)))


def _task_list_page(assessment: Assessment, kept: set[str]) -> str:
    return render_template(
        "casework/task_list.html",
        assessment=assessment,
        versions=versions.versions_of(assessment),
        sections=svc.sections(checklists.definition_for(assessment)),
        statuses=svc.section_statuses(assessment),
        labels=svc.STATUS_LABELS,
        can_edit=access.can_assess(current_user),
        can_invite=joint.may_invite(current_user, assessment),
        kept=kept,
    )


def _kept_sections(assessment: Assessment) -> set[str]:
    kept = pending.sections_kept(current_user, assessment.id)
    session["has_kept"] = bool(kept) or pending.any_for(current_user)
    return kept


@bp.route("/assessments/<int:assessment_id>/sections/<section_id>", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("section_viewed")
def section(assessment_id: int, section_id: str):
    assessment = access.assessment_for(current_user, assessment_id, to_change=True)
    definition = checklists.definition_for(assessment)
    current = svc.section_of(definition, section_id)
    if current is None:
        abort(404)
    if assessment.status not in EDITABLE:
        return redirect(url_for("casework.assessment", assessment_id=assessment.id))
    form_class = section_form(definition, section_id, visit_children(assessment))
    checking = request.args.get("from") == "check"  # "Change" on Check answers comes back to it
    kept = None
    photo_note = None
    if request.method == "GET":
        # Only asked when something is kept for this practitioner (see auth.sign_in, api.save_section).
        kept = pending.find(current_user, assessment.id, section_id) if session.get("has_kept") else None
        if kept is None:
            form = _fresh_form(assessment, definition, section_id)
        else:
            # Answers kept after the session ended, or sent from the tablet's outbox and not stored:
            # shown as typed, with the messages they got, until they are saved.
            row, fields = kept
            form = form_class(formdata=MultiDict([*fields, ("csrf_token", generate_csrf())]))
            form.version.data = str(row.seen_version)
            form.save_key.data = uuid.uuid4().hex
            if row.reason == pending.CONFLICT or row.seen_version != svc.section_version(assessment, section_id):
                return _conflict(assessment, section_id, form, fields, kept=True)
            form.validate_for(not form.save_later.data)
        spare_rows(form)
    elif request.form.get("add_row") or request.form.get("remove_row"):
        form = change_rows(form_class, request.form)  # "Add another" or "Remove": nothing is saved
    elif request.form.get("add_photo") or request.form.get("remove_photo"):
        form = form_class()  # "Add a photo" or "Remove photo": the answers as typed, not saved
        photo_note = change_photos(assessment, definition, section_id, form)
    else:
        form = form_class()
        outcome, save = save_from(assessment, definition, section_id, form)
        if outcome == SaveOutcome.CONFLICT:
            return _conflict(assessment, section_id, form, list(request.form.items(multi=True)))
        if save is not None:
            # A retry of a save already made is answered as that save was.
            return redirect(next_url(assessment, definition, section_id, save.completing, checking))
    page = _section_page(
        assessment, definition, section_id, form, not_saved=kept is not None, checking=checking, photo_note=photo_note
    )
    return kept_page(page) if request.method == "GET" else page


def _fresh_form(assessment: Assessment, definition, section_id: str):
    """A section's form as stored, for a new save (its version, a fresh save key)."""
    form_class = section_form(definition, section_id, visit_children(assessment))
    stored = form_data(definition, section_id, svc.section_answers(assessment, section_id))
    return form_class(
        data={**stored, "version": svc.section_version(assessment, section_id), "save_key": uuid.uuid4().hex}
    )


def _section_page(
    assessment: Assessment, definition, section_id: str, form, not_saved=False, checking=False, photo_note=None
) -> str:
    section = svc.section_of(definition, section_id)
    previous = svc.previous_assessment(assessment) if section and section.kind == svc.SectionKind.DOMAIN else None
    rooms = assessment.room_map
    unseen_room = next((r for r in definition.rooms if r.domain == section_id and rooms.get(r.id) in ROOM_UNSEEN), None)
    return render_template(
        "casework/section.html",
        unseen_room=unseen_room,
        unseen_status=rooms.get(unseen_room.id) if unseen_room else None,
        assessment=assessment,
        section=section,
        form=form,
        definition=definition,
        previous=previous,
        previous_grades=history.summarise(previous).grades if previous else {},
        previous_definition=checklists.definition_for(previous) if previous else None,
        not_saved=not_saved,
        resume=pending.resume_token(current_user, assessment.id, section_id),
        offline_next=next_url(assessment, definition, section_id, True, checking),
        max_rows=MAX_ROWS,
        offline_later=next_url(assessment, definition, section_id, False),
        photos=photos.of(assessment.id),
        photo_note=photo_note,
        photo_limit=photos.PER_ITEM,
        rules=tablet_rules(form),
    )


def spare_rows(form) -> None:
    """One empty row after the rows entered in each list of rows (people, actions)."""
    for field in form:
        if isinstance(field, FieldList) and len(field.entries) < (field.max_entries or MAX_ROWS):
            last = field.entries[-1].data if field.entries else None
            if last is None or any(value for value in last.values()):
                field.append_entry()


def change_rows(form_class, posted: MultiDict):
    """The posted form with a row added ("add_row": the list's name) or removed ("remove_row":
    "people-2"), the rows after it numbered down; what was typed is kept, nothing is checked."""
    fields = list(posted.items(multi=True))
    if posted.get("remove_row"):
        name, _, gone = posted["remove_row"].rpartition("-")
        row = re.compile(rf"^{re.escape(name)}-(\d+)-(.+)$")
        kept = []
        for key, value in fields:
            match = row.match(key)
            if match is None:
                kept.append((key, value))
            elif int(match.group(1)) != whole_number(gone):
                index = int(match.group(1))
                kept.append((f"{name}-{index - (index > whole_number(gone))}-{match.group(2)}", value))
        fields = kept
    form = form_class(formdata=MultiDict([(k, v) for k, v in fields if k not in ("add_row", "remove_row")]))
    added = posted.get("add_row")
    if added in form and isinstance(form[added], FieldList) and len(form[added].entries) < MAX_ROWS:
        form[added].append_entry()
    for field in form:
        if isinstance(field, FieldList) and not field.entries:
            field.append_entry()
    return form


_NOT_RESENT = {
    *("csrf_token", "version", "save_key", "save", "save_later"),
    *("resume", "offline_next", "offline_later", "offline_title"),  # the page's own, not answers
}


def _conflict(assessment: Assessment, section_id: str, mine, fields: list[tuple[str, str]], kept: bool = False):
    assessment = access.assessment_for(current_user, assessment.id, to_change=True)
    definition = checklists.definition_for(assessment)
    saved = section_form(definition, section_id, visit_children(assessment))(
        formdata=None,
        data=form_data(definition, section_id, svc.section_answers(assessment, section_id)),
        meta={"csrf": False},
    )
    # "Keep my answers" sends what was typed again, on top of the saved version, as a new save.
    resend = [(name, value) for name, value in fields if name not in _NOT_RESENT]
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
            kept=kept,
        ),
        409,
    )


@bp.route("/assessments/<int:assessment_id>/sections/<section_id>/discard", methods=["POST"])
@roles_required(*access.CASE_WORKERS)
def discard_kept(assessment_id: int, section_id: str):
    """Throw away answers kept for later (after a conflict): the saved version stays."""
    assessment = access.assessment_for(current_user, assessment_id, to_change=True)
    if svc.section_of(checklists.definition_for(assessment), section_id) is None:
        abort(404)
    pending.discard(current_user, assessment.id, section_id)
    audit.record("kept_save_discarded", user=current_user, assessment_id=assessment.id, detail=section_id)
    db.session.commit()
    return redirect(url_for("casework.section", assessment_id=assessment.id, section_id=section_id))


def interrupted_save() -> ResponseReturnValue | None:
    """A section save that arrived after its session ended (signed out for inactivity, the cookie
    gone, or its CSRF token no longer matching) is kept for the practitioner whose page it came
    from, and they are sent to sign in and then back to it. None when the request is not such a save.
    A tablet's service worker (header X-Heat-Outbox) gets 401 instead and keeps the save itself."""
    args = request.view_args or {}
    if request.method != "POST" or request.endpoint != "casework.section":
        return None
    assessment_id, section_id = args.get("assessment_id"), args.get("section_id", "")
    user = pending.resumed_user(request.form.get("resume", ""), assessment_id, section_id)
    if user is None or (current_user.is_authenticated and current_user.id != user.id):
        return None
    if request.headers.get("X-Heat-Outbox"):
        return jsonify(status="signed_out"), 401
    assessment = db.session.get(Assessment, assessment_id)
    current = svc.section_of(checklists.definition_for(assessment), section_id) if assessment else None
    if assessment is None or current is None:
        return None
    fields = list(request.form.items(multi=True))
    pending.keep(user, assessment.id, section_id, pending.SIGNED_OUT, whole_number(request.form.get("version")), fields)
    db.session.commit()
    here = url_for("casework.section", assessment_id=assessment.id, section_id=section_id)
    if current_user.is_authenticated:
        session["has_kept"] = True
        return redirect(here)
    session["kept_save"] = current.title
    return redirect(url_for("auth.sign_in", next=here))


@bp.route("/assessments/<int:assessment_id>/check")
@roles_required(*access.CASE_WORKERS)
@audited("check_answers_viewed")
def check(assessment_id: int):
    assessment = access.assessment_for(current_user, assessment_id, to_change=True)
    if assessment.status not in EDITABLE:
        return redirect(url_for("casework.assessment", assessment_id=assessment.id))
    return kept_page(_check_page(assessment))


def _check_page(assessment: Assessment) -> str:
    form = SubmitForm(data={"version": assessment.version, "submission_key": uuid.uuid4().hex})
    return render_template("casework/check.html", **_check_context(assessment), form=form, missing=[])


def _check_context(assessment: Assessment) -> dict:
    definition = checklists.definition_for(assessment)
    summaries = []
    spec = answers.CheckSpec()
    in_progress = svc.STATUS_LABELS[svc.IN_PROGRESS]
    for s in svc.sections(definition):
        form = section_form(definition, s.id, visit_children(assessment))(
            formdata=None,
            data=form_data(definition, s.id, svc.section_answers(assessment, s.id)),
            meta={"csrf": False},
        )
        summaries.append((s, answers.check_rows(form)))
        spec.add(s.id, s.title, f"{s.title} ({in_progress})", form)
    return {
        "assessment": assessment,
        "summaries": summaries,
        "check_spec": spec.as_json(),
        "statuses": svc.section_statuses(assessment),
        "labels": svc.STATUS_LABELS,
        "score": checklists.score_of(assessment),
    }


@bp.route("/assessments/<int:assessment_id>/submit", methods=["POST"])
@roles_required(*access.CASE_WORKERS)
def submit(assessment_id: int):
    assessment = access.assessment_for(current_user, assessment_id, to_change=True)
    form = SubmitForm()
    if assessment.status not in EDITABLE:  # submitted already: a retried POST gets the same answer
        return redirect(url_for("casework.submitted", assessment_id=assessment.id))
    if not form.validate_on_submit() or not (form.submission_key.data or "").strip():
        abort(400)
    outcome = submit_from(assessment, form.submission_key.data, form.version.data)
    if outcome == SubmitOutcome.NOT_READY:
        missing = [s for s in svc.sections(checklists.definition_for(assessment)) if not _completed(assessment, s.id)]
        return render_template(
            "casework/check.html",
            **_check_context(assessment),
            form=form,
            missing=missing,
            contradicting=svc.visit_contradictions(assessment),
        ), 400
    if outcome == SubmitOutcome.CONFLICT:
        return render_template(
            "casework/check.html",
            **_check_context(assessment),
            form=SubmitForm(data={"version": assessment.version, "submission_key": form.submission_key.data}),
            missing=[],
            stale=True,
        ), 409
    return redirect(url_for("casework.submitted", assessment_id=assessment.id))


@bp.route("/assessments/<int:assessment_id>/submitted")
@roles_required(*access.CASE_WORKERS)
def submitted(assessment_id: int):
    """The confirmation after submitting: the rating, and what happens next."""
    assessment = access.assessment_for(current_user, assessment_id, to_change=True)
    if assessment.status not in RECORDED:
        return redirect(url_for("casework.assessment", assessment_id=assessment.id))
    audit.record("assessment_viewed", user=current_user, assessment_id=assessment.id, detail="submitted")
    db.session.commit()
    return render_template("casework/submitted.html", assessment=assessment, score=checklists.score_of(assessment))


def _completed(assessment: Assessment, section_id: str) -> bool:
    return svc.section_statuses(assessment)[section_id] == svc.COMPLETED


@bp.route("/assessments/<int:assessment_id>/photos/<int:photo_id>")
@roles_required(*access.CASE_READERS)
def photo(assessment_id: int, photo_id: int):
    """One photo of a visit, to whoever may see the visit; every view audited."""
    kept = access.photo_for(current_user, assessment_id, photo_id)
    image = photos.jpeg(kept)
    audit.record("photo_viewed", user=current_user, assessment_id=assessment_id, detail=f"photo {photo_id}")
    db.session.commit()
    return Response(image, mimetype="image/jpeg", headers={"Content-Disposition": "inline"})


PDF_REFRESH_SECONDS = 5


@bp.route("/assessments/<int:assessment_id>/pdf")
@roles_required(*access.CASE_READERS)
def assessment_pdf(assessment_id: int):
    """The PDF stored with the latest version: the same bytes at every download. Until the worker
    has rendered it, "The PDF is being prepared", looking again every few seconds."""
    return _version_pdf(assessment_id, None)


@bp.route("/checklist/<version>/guide.pdf")
@roles_required(*access.CASE_READERS)
def checklist_guide(version: str):
    """What every grade of every item looks like, for one checklist version: the guide to grade by,
    kept out of each assessment's PDF."""
    definition = current_app.extensions["heat_definitions"].get(version)
    if definition is None:
        abort(404)
    return Response(
        render_pdf("reports/guide.html", definition=definition),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="heat-checklist-guide-{definition.version}.pdf"'},
    )


@bp.route("/assessments/<int:assessment_id>/family-copy.pdf")
@roles_required(*access.CASE_READERS)
def family_copy_pdf(assessment_id: int):
    """A PDF for the parent or carer, in plain English, with nothing that is not theirs to read."""
    assessment = access.assessment_for(current_user, assessment_id)
    if assessment.status not in RECORDED:
        abort(404)
    access.check_pdf_allowance(current_user)
    document = render_pdf("reports/family_copy.html", copy=family_copy.family_copy(assessment))
    audit.record("family_copy_pdf", user=current_user, assessment_id=assessment.id)
    db.session.commit()
    return Response(
        document,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="heat-family-copy-{assessment.id}.pdf"'},
    )


@bp.route("/assessments/<int:assessment_id>/versions/<int:number>.pdf")
@roles_required(*access.CASE_READERS)
def version_pdf(assessment_id: int, number: int):
    return _version_pdf(assessment_id, number)


def _version_pdf(assessment_id: int, number: int | None) -> ResponseReturnValue:
    assessment = access.assessment_for(current_user, assessment_id)
    if assessment.status not in RECORDED and number is None:
        abort(404)
    access.check_pdf_allowance(current_user)
    made_now = False
    version: AssessmentVersion | None
    if number is None:
        version, made_now = versions.latest(assessment)
    else:
        version = versions.stored(assessment, number)
    if version is None:
        abort(404)
    if made_now:
        tasks.render_pdfs([assessment.id])
    if version.pdf is None:
        # The worker has not stored it yet: a page that looks again by itself (no script needed).
        audit.record(
            "assessment_pdf_waited", user=current_user, assessment_id=assessment.id, detail=f"version {version.number}"
        )
        db.session.commit()
        page = render_template(
            "casework/pdf_preparing.html", assessment=assessment, version=version, refresh=PDF_REFRESH_SECONDS
        )
        return page, 202, {"Retry-After": str(PDF_REFRESH_SECONDS)}
    audit.record("assessment_pdf", user=current_user, assessment_id=assessment.id, detail=f"version {version.number}")
    db.session.commit()
    suffix = "" if number is None else f"-version-{version.number}"
    return Response(
        version.pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="heat-assessment-{assessment.id}{suffix}.pdf"'},
    )
