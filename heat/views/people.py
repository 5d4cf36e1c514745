"""The people around a child: the register of significant adults and their checks, other
agencies, information requests and meetings."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from forms.people import AdultForm, AgencyForm, CheckForm, MeetingForm, ReceivedForm, RequestForm, WithdrawForm
from heat.extensions import db
from heat.models import Agency, InformationRequest
from heat.services import access, adults, agencies, audit
from heat.views import audited, carried_out, roles_required

bp = Blueprint("people", __name__)


def _back(child_id: int) -> ResponseReturnValue:
    return redirect(url_for("people.people", child_id=child_id))


@bp.route("/children/<int:child_id>/people")
@roles_required(*access.CASE_READERS)
def people(child_id: int) -> ResponseReturnValue:
    child = access.child_for(current_user, child_id)
    seen = adults.seen(child)
    record = agencies.record_of(child)
    audit.record("people_viewed", user=current_user, child_id=child.id)
    db.session.commit()
    return render_template(
        "people/people.html",
        child=child,
        seen=seen,
        record=record,
        can_change=access.can_assess(current_user) and child.team_id == current_user.team_id,
    )


@bp.route("/children/<int:child_id>/adults/new", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def add_adult(child_id: int) -> ResponseReturnValue:
    child = access.child_for(current_user, child_id, to_change=True)
    form = AdultForm()
    if form.validate_on_submit() and carried_out(
        form,
        lambda: adults.add_adult(
            child,
            current_user,
            form.name.data or "",
            adults.About(
                relationship=form.relationship.data,
                sex=form.sex.data or None,
                residence=form.residence.data,
                cares_for_child=form.cares_for_child.data,
                parental_responsibility=form.parental_responsibility.data,
            ),
        ),
    ):
        flash("Added to the register of adults.", "success")
        return _back(child.id)
    return render_template("oversight/form.html", child=child, form=form, title="Add an adult")


@bp.route("/children/<int:child_id>/adults/<int:adult_id>/checks/new", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def add_check(child_id: int, adult_id: int) -> ResponseReturnValue:
    child, adult = access.adult_to_change(current_user, child_id, adult_id)
    form = CheckForm()
    if form.validate_on_submit() and carried_out(
        form, lambda: adults.add_check(adult, child, current_user, form.checked_on.data, form.note.data or "")
    ):
        flash(f"Check on {adult.name} recorded.", "success")
        return _back(child.id)
    return render_template("oversight/form.html", child=child, form=form, title=f"Record a check on {adult.name}")


@bp.route("/children/<int:child_id>/agencies/new", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def add_agency(child_id: int) -> ResponseReturnValue:
    child = access.child_for(current_user, child_id, to_change=True)
    form = AgencyForm()
    if form.validate_on_submit() and carried_out(
        form,
        lambda: agencies.add_agency(
            child,
            current_user,
            form.name.data or "",
            form.area.data,
            form.out_of_area.data == "yes",
            form.contact.data,
            form.role.data,
        ),
    ):
        flash("Agency added.", "success")
        return _back(child.id)
    return render_template("oversight/form.html", child=child, form=form, title="Add an agency")


def _agency_choices(child_id: int) -> list[Agency]:
    return list(db.session.scalars(select(Agency).where(Agency.child_id == child_id).order_by(Agency.name)))


def _request_form(known: list[Agency], asked: InformationRequest | None = None) -> RequestForm:
    form = RequestForm(obj=None)
    form.agency.choices = [("", "Choose an agency")] + [
        (str(a.id), f"{a.name} (out of area)" if a.out_of_area else a.name) for a in known
    ]
    if request.method == "GET" and asked is not None:
        form.agency.data, form.asked_on.data, form.what.data = str(asked.agency_id), asked.asked_on, asked.what
    elif request.method == "GET" and request.args.get("agency"):
        form.agency.data = request.args["agency"]
    return form


@bp.route("/children/<int:child_id>/requests/new", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def add_request(child_id: int) -> ResponseReturnValue:
    child = access.child_for(current_user, child_id, to_change=True)
    known = _agency_choices(child.id)
    form = _request_form(known)
    if form.validate_on_submit():
        agency = next((a for a in known if str(a.id) == form.agency.data), None)
        if carried_out(
            form, lambda: agencies.add_request(child, current_user, agency, form.asked_on.data, form.what.data or "")
        ):
            flash("Information request recorded.", "success")
            return _back(child.id)
    return render_template("oversight/form.html", child=child, form=form, title="Record an information request")


@bp.route("/children/<int:child_id>/requests/<int:request_id>/change", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def amend_request(child_id: int, request_id: int) -> ResponseReturnValue:
    child, asked = access.request_to_change(current_user, child_id, request_id)
    known = _agency_choices(child.id)
    form = _request_form(known, asked)
    form.submit.label.text = "Save the changes"
    if form.validate_on_submit():
        agency = next((a for a in known if str(a.id) == form.agency.data), None)
        if carried_out(
            form,
            lambda: agencies.amend_request(
                asked, child, current_user, agency, form.asked_on.data, form.what.data or ""
            ),
        ):
            flash("Information request changed.", "success")
            return _back(child.id)
    return render_template("oversight/form.html", child=child, form=form, title="Change an information request")


@bp.route("/children/<int:child_id>/requests/<int:request_id>/withdraw", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def withdraw_request(child_id: int, request_id: int) -> ResponseReturnValue:
    child, asked = access.request_to_change(current_user, child_id, request_id)
    form = WithdrawForm()
    if form.validate_on_submit() and carried_out(
        form, lambda: agencies.withdraw_request(asked, child, current_user, form.reason.data or "")
    ):
        flash("Information request withdrawn.", "success")
        return _back(child.id)
    return render_template(
        "oversight/form.html", child=child, form=form, title=f"Withdraw the request to {asked.agency.name}"
    )


@bp.route("/children/<int:child_id>/requests/<int:request_id>/received", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def mark_received(child_id: int, request_id: int) -> ResponseReturnValue:
    child, asked = access.request_to_change(current_user, child_id, request_id)
    form = ReceivedForm()
    if request.method == "GET":
        form.received_on.data = asked.received_on or dt.date.today()
        form.received_summary.data, form.analysis.data = asked.received_summary, asked.analysis
    if form.validate_on_submit() and carried_out(
        form,
        lambda: agencies.mark_received(
            asked, child, current_user, form.received_on.data, form.received_summary.data, form.analysis.data
        ),
    ):
        flash("Recorded what was received.", "success")
        return _back(child.id)
    return render_template(
        "oversight/form.html", child=child, form=form, title=f"Information received from {asked.agency.name}"
    )


@bp.route("/children/<int:child_id>/meetings/new", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def add_meeting(child_id: int) -> ResponseReturnValue:
    child = access.child_for(current_user, child_id, to_change=True)
    form = MeetingForm()
    form.invited_agencies.choices = [
        (str(a.id), f"{a.name} (out of area)" if a.out_of_area else a.name) for a in _agency_choices(child.id)
    ]
    if not form.invited_agencies.choices:  # no agencies to choose from: one question, not an empty one
        del form.invited_agencies
        form.invited.label.text = "Who was invited"
        form.invited.description = "Family members and professionals, with their agency"
    if form.validate_on_submit() and carried_out(
        form,
        lambda: agencies.add_meeting(
            child,
            current_user,
            form.held_on.data,
            form.kind.data or "",
            [int(i) for i in form.invited_agencies.data or []] if "invited_agencies" in form else [],
            form.invited.data,
            form.attended.data,
            form.sent_information.data,
        ),
    ):
        flash("Meeting recorded.", "success")
        return _back(child.id)
    return render_template("oversight/form.html", child=child, form=form, title="Record a meeting")
