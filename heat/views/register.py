"""The register: add a child, correct their details, record a move, transfer between teams,
the handover summary and the import."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from forms.register import (
    AcknowledgeForm,
    ChildDetailsForm,
    ChildForm,
    CorrectAddressForm,
    ImportForm,
    MoveForm,
    PreviousAddressForm,
    TransferForm,
)
from heat.extensions import db
from heat.models import Team, User, utcnow
from heat.reports.pdf import render_pdf
from heat.services import access, audit, child_record, importing, photos, register
from heat.views import audited, carried_out, roles_required

bp = Blueprint("register", __name__)


def _show_problems(form, problems: list[tuple[str, str]]) -> None:
    for field, message in problems:
        target = form._fields.get(field) or form._fields.get("address_line_1") or form.submit
        if message not in target.errors:
            target.errors.append(message)


def _worker_choices(team_ids: list[int], with_team: bool) -> list[tuple[str, str]]:
    workers = db.session.scalars(
        select(User)
        .where(User.team_id.in_(team_ids), User.active.is_(True), User.role.in_(access.CASE_WORKERS))
        .order_by(User.name)
    )
    return [("", "Not allocated yet")] + [
        (str(u.id), f"{u.name} ({u.team.name})" if with_team and u.team else u.name) for u in workers
    ]


@bp.route("/children/new", methods=["GET", "POST"])
@roles_required("supervisor", "admin")
@audited("change_form_viewed")
def add_child() -> ResponseReturnValue:
    """ "Add a child": supervisors add to their own team; administrators to any team."""
    form = ChildForm()
    teams = (
        list(db.session.scalars(select(Team).order_by(Team.name)))
        if current_user.role == "admin"
        else list(db.session.scalars(select(Team).where(Team.id == current_user.team_id)))
    )
    form.team_id.choices = ([("", "Choose a team")] if len(teams) > 1 else []) + [(str(t.id), t.name) for t in teams]
    form.allocated_worker_id.choices = _worker_choices([t.id for t in teams], with_team=len(teams) > 1)
    if request.method == "GET":
        form.plan_status.data, form.kind.data = "none", "family_home"
    duplicates = register.Duplicates([], 0)
    if form.validate_on_submit():
        details = form.details()
        duplicates = register.duplicates_for(current_user, details.cleaned())
        try:
            child = register.register(current_user, details, duplicates_confirmed=bool(form.duplicates_confirmed.data))
        except register.Invalid as exc:
            db.session.rollback()
            _show_problems(form, exc.problems)
        else:
            db.session.commit()
            flash(f"{child.name} added.", "success")
            if access.can_assess(current_user):
                return redirect(url_for("casework.child", child_id=child.id))
            return redirect(url_for("register.add_child"))
    return render_template("register/add_child.html", form=form, duplicates=duplicates)


@bp.route("/children/<int:child_id>/details", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def change_details(child_id: int) -> ResponseReturnValue:
    """Correct a child's details, or add a baby's name and date of birth after birth."""
    child = access.child_for(current_user, child_id, to_change=True)
    form = ChildDetailsForm(obj=child if request.method == "GET" else None)
    form.allocated_worker_id.choices = _worker_choices([child.team_id], with_team=False)
    if request.method == "GET":
        form.case_reference.data = child.reference
        form.allocated_worker_id.data = str(child.allocated_worker_id or "")
    if form.validate_on_submit():
        details = register.details_of(child, None)
        details = register.Details(
            case_reference=form.case_reference.data or "",
            first_name=form.first_name.data or "",
            last_name=form.last_name.data or "",
            date_of_birth=form.date_of_birth.data,
            expected_date_of_birth=form.expected_date_of_birth.data,
            team_id=child.team_id,
            allocated_worker_id=int(form.allocated_worker_id.data) if form.allocated_worker_id.data else None,
            plan_status=child.plan_status,
            address=None,
            lives_with=form.lives_with.data,
        )
        try:
            changed = register.correct(current_user, child, details)
        except register.Invalid as exc:
            db.session.rollback()
            _show_problems(form, exc.problems)
        else:
            db.session.commit()
            flash("Details saved." if changed else "Nothing was changed.", "success")
            return redirect(url_for("casework.child", child_id=child.id))
    return render_template("oversight/form.html", child=child, form=form, title="Change details")


@bp.route("/children/<int:child_id>/moves/new", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def record_move(child_id: int) -> ResponseReturnValue:
    child = access.child_for(current_user, child_id, to_change=True)
    form = MoveForm()
    previous = register.current_address(child.id)
    if request.method == "GET":
        form.kind.data = "family_home"
        form.area.data = previous.area if previous else None
    if form.validate_on_submit():
        address = form.address().cleaned() or register.Address("")
        problems = register.move_problems(address, form.moved_on.data, previous, dt.date.today())
        if problems or form.moved_on.data is None:
            _show_problems(form, problems)
        else:
            moved = register.move(current_user, child, address, form.moved_on.data, previous=previous)
            db.session.commit()
            if moved.left_area:
                flash(
                    f"Move recorded. The family moved from {moved.left_area}: request information from "
                    f"{moved.left_area}. A reminder is in the chronology.",
                    "success",
                )
            else:
                flash("Move recorded.", "success")
            return redirect(url_for("casework.child", child_id=child.id, _anchor="addresses"))
    return render_template("oversight/form.html", child=child, form=form, title="Record a move")


@bp.route("/children/<int:child_id>/addresses/previous/new", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def add_previous_address(child_id: int) -> ResponseReturnValue:
    child = access.child_for(current_user, child_id, to_change=True)
    form = PreviousAddressForm()
    earliest = register.earliest_address(child.id)
    if request.method == "GET":
        form.kind.data = "family_home"
    if form.validate_on_submit():
        address = form.address().cleaned() or register.Address("")
        from_date, until = form.from_date.data, form.until.data
        problems = register.previous_address_problems(address, from_date, until, earliest, dt.date.today())
        if problems or from_date is None or until is None:
            _show_problems(form, problems)
        else:
            moved = register.add_previous_address(current_user, child, address, from_date, until, before=earliest)
            db.session.commit()
            asked = (
                f" Request information from {moved.left_area}. A reminder is in the chronology."
                if moved.left_area
                else ""
            )
            flash(f"Previous address added.{asked}", "success")
            return redirect(url_for("casework.child", child_id=child.id, _anchor="addresses"))
    return render_template(
        "oversight/form.html", child=child, form=form, title="Add an address from before registration"
    )


@bp.route("/children/<int:child_id>/addresses/<int:address_id>/correct", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def correct_address(child_id: int, address_id: int) -> ResponseReturnValue:
    child, row = access.address_to_correct(current_user, child_id, address_id)
    form = CorrectAddressForm()
    if request.method == "GET":
        form.address_line_1.data, form.address_line_2.data = row.line_1, row.line_2
        form.town.data, form.postcode.data, form.area.data = row.town, row.postcode, row.area
        form.kind.data, form.from_date.data = row.kind, row.from_date
    if form.validate_on_submit():
        address = form.address().cleaned() or register.Address("")
        problems = register.correct_address_problems(address, form.from_date.data, dt.date.today())
        if problems or form.from_date.data is None:
            _show_problems(form, problems)
        else:
            register.correct_address(current_user, child, row, address, form.from_date.data)
            db.session.commit()
            flash("Address corrected. The correction is listed under Changes to the record.", "success")
            return redirect(url_for("casework.child", child_id=child.id, _anchor="addresses"))
    return render_template("oversight/form.html", child=child, form=form, title="Correct an address")


@bp.route("/children/<int:child_id>/transfer", methods=["GET", "POST"])
@roles_required("supervisor")
@audited("change_form_viewed")
def transfer(child_id: int) -> ResponseReturnValue:
    child = access.child_for(current_user, child_id, to_change=True)
    form = TransferForm()
    teams = list(db.session.scalars(select(Team).where(Team.id != child.team_id).order_by(Team.name)))
    form.to_team.choices = [("", "Choose a team")] + [(str(t.id), t.name) for t in teams]
    if form.validate_on_submit():
        to_team = next((t for t in teams if str(t.id) == form.to_team.data), None)
        moving = carried_out(form, lambda: child_record.transfer(child, current_user, to_team, form.note.data or ""))
        if moving:
            flash(
                f"{child.name} transferred to {moving.to_team.name}. They see it as waiting to be acknowledged.",
                "success",
            )
            return redirect(url_for("register.handover_summary", child_id=child.id))
    return render_template("oversight/form.html", child=child, form=form, title="Transfer to another team")


@bp.route("/transfers")
@roles_required("supervisor")
def transfers_in() -> ResponseReturnValue:
    waiting = child_record.transfers_in(current_user)
    audit.record("transfers_viewed", user=current_user)
    db.session.commit()
    return render_template("register/transfers.html", waiting=waiting)


@bp.route("/transfers/<int:transfer_id>", methods=["GET", "POST"])
@roles_required("supervisor")
def acknowledge(transfer_id: int) -> ResponseReturnValue:
    moving = access.transfer_to_acknowledge(current_user, transfer_id)
    if moving.acknowledged_at is not None:
        flash("This transfer has already been acknowledged.", "info")
        return redirect(url_for("casework.child", child_id=moving.child_id))
    child = access.child_for(current_user, moving.child_id, to_change=True)
    form = AcknowledgeForm()
    workers = child_record.team_workers(moving.to_team_id)
    form.to_worker.choices = [("", "Choose a worker")] + [(str(u.id), u.name) for u in workers]
    if form.validate_on_submit():
        worker = next((u for u in workers if str(u.id) == form.to_worker.data), None)
        if carried_out(form, lambda: child_record.acknowledge(moving, current_user, worker)) and worker:
            flash(f"Transfer acknowledged. {child.name} is allocated to {worker.name}.", "success")
            return redirect(url_for("register.handover_summary", child_id=child.id))
    audit.record("transfer_viewed", user=current_user, child_id=child.id)
    db.session.commit()
    summary = child_record.handover_summary(child)
    return render_template("register/acknowledge.html", child=child, moving=moving, form=form, summary=summary)


@bp.route("/children/<int:child_id>/handover-summary")
@roles_required(*access.CASE_READERS)
def handover_summary(child_id: int) -> ResponseReturnValue:
    child = access.child_for(current_user, child_id)
    summary = child_record.handover_summary(child)
    audit.record("handover_summary_viewed", user=current_user, child_id=child.id)
    db.session.commit()
    return render_template("register/handover_summary.html", child=child, summary=summary)


@bp.route("/children/<int:child_id>/handover-summary.pdf")
@roles_required(*access.CASE_READERS)
def handover_summary_pdf(child_id: int) -> ResponseReturnValue:
    child = access.child_for(current_user, child_id)
    access.check_pdf_allowance(current_user)
    summary = child_record.handover_summary(child)
    document = render_pdf(
        "reports/handover.html",
        child=child,
        summary=summary,
        generated_by=current_user.name,
        generated_at=utcnow(),
    )
    audit.record("history_pdf", user=current_user, child_id=child.id, detail="handover summary")
    db.session.commit()
    return Response(
        document,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="heat-handover-{child.id}.pdf"'},
    )


@bp.route("/admin/import", methods=["GET", "POST"])
@roles_required("admin")
@audited("import_form_viewed")
def import_children() -> ResponseReturnValue:
    """ "Import children": the same import as `flask children import`, from an upload."""
    form = ImportForm()
    outcome = None
    if form.validate_on_submit():
        options = form.options.data or []
        # The upload is read as a stream (Werkzeug keeps a large one in a temporary file), at most
        # importing.MAX_BYTES: the server refuses more (413) before this runs (`upload_limit`).
        outcome = importing.run(
            form.file.data.stream,
            user=current_user,
            dry_run="dry_run" in options,
            skip_invalid="skip_invalid" in options,
        )
        if outcome.problems and not outcome.applied and not outcome.dry_run:
            form.file.errors.append(
                f"Nothing was imported: {len(outcome.problems)} problem"
                f"{'s' if len(outcome.problems) != 1 else ''} in the file, listed below"
            )
        db.session.commit()
    return render_template(
        "register/import.html", form=form, outcome=outcome, columns=importing.COLUMNS, limit=importing.MAX_SIZE_TEXT
    )


UPLOADS = {"register.import_children": importing.MAX_BYTES}
# A checklist section (or its replay from the tablet's outbox) may carry photos.
PHOTO_UPLOADS = {
    "casework.section": photos.MAX_REQUEST_BYTES,
    "api.save_section": photos.MAX_REQUEST_BYTES,
    "practice.add_photo": photos.MAX_REQUEST_BYTES,
}


def upload_limit() -> None:
    """The import page takes a file up to importing.MAX_BYTES; every other request stays within
    MAX_CONTENT_LENGTH. Runs before CSRFProtect, which reads the form first (see create_app)."""
    if request.endpoint in UPLOADS:
        request.max_content_length = UPLOADS[request.endpoint]
    elif request.endpoint in PHOTO_UPLOADS:
        # A photo the tablet shrank travels as a data: URL, an ordinary field: fields may be as large.
        request.max_content_length = request.max_form_memory_size = PHOTO_UPLOADS[request.endpoint]


def too_large_upload() -> tuple[str, str] | None:
    """The 413 page's words for an upload that was too large, naming its limit."""
    if request.endpoint in PHOTO_UPLOADS:
        return (
            "The photos are too large",
            f"Each photo must be {photos.MAX_SIZE_TEXT} or smaller. Nothing was saved. Go back and add fewer "
            "photos at a time.",
        )
    if request.endpoint not in UPLOADS:
        return None
    return (
        "The file is too large",
        f"The file must be {importing.MAX_SIZE_TEXT} or smaller. Nothing was imported. Split the file into "
        "smaller files and import each one, or ask for it to be imported on the server.",
    )
