"""Joint visits (a second practitioner grades the same home independently) and grading agreement."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from forms.assessment import answers_of, form_data, section_form
from forms.joint import InviteForm, JointSubmitForm
from heat.extensions import db
from heat.services import access, audit, joint
from heat.services.agreement import agreement_report
from heat.views import audited, roles_required

bp = Blueprint("joint", __name__)


@bp.route("/assessments/<int:assessment_id>/joint/invite", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def invite(assessment_id: int):
    assessment = access.visit_to_invite_for(current_user, assessment_id)
    people = joint.invitable(assessment)
    form = InviteForm()
    form.second.choices = [(str(u.id), u.name) for u in people]
    if form.validate_on_submit():
        second = next(u for u in people if str(u.id) == form.second.data)
        joint.invite(current_user, assessment, second)
        db.session.commit()
        flash(f"{second.name} can now grade this visit from their caseload.", "success")
        return redirect(url_for("casework.assessment", assessment_id=assessment.id))
    return render_template("joint/invite.html", assessment=assessment, form=form, people=people)


@bp.route("/assessments/<int:assessment_id>/joint")
@roles_required(*access.CASE_READERS)
@audited("joint_visit_viewed")
def grading(assessment_id: int):
    found = access.joint_for(current_user, assessment_id)
    definition = joint.areas(found.assessment)
    return render_template(
        "joint/grading.html",
        joint=found,
        assessment=found.assessment,
        areas=definition.domains,
        statuses=joint.area_statuses(found),
        labels=joint.STATUS_LABELS,
        rows=joint.comparison(found) if found.both_submitted else [],
        form=JointSubmitForm(),
    )


@bp.route("/assessments/<int:assessment_id>/joint/<section_id>", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("section_viewed")
def area(assessment_id: int, section_id: str):
    found = access.joint_to_grade(current_user, assessment_id)
    definition = joint.areas(found.assessment)
    if section_id not in {d.id for d in definition.domains}:
        abort(404)
    form_class = section_form(definition, section_id)
    if request.method == "GET":
        form = form_class(data=form_data(definition, section_id, joint.area_answers(found, section_id)))
    else:
        form = form_class()
        completing = not form.save_later.data
        if form.validate_for(completing):
            answers = answers_of(definition, section_id, form)
            joint.save_area(found, current_user, section_id, answers, completing=completing)
            db.session.commit()
            ids = [d.id for d in definition.domains]
            position = ids.index(section_id)
            if completing and position + 1 < len(ids):
                return redirect(url_for("joint.area", assessment_id=assessment_id, section_id=ids[position + 1]))
            return redirect(url_for("joint.grading", assessment_id=assessment_id))
    return render_template(
        "joint/area.html",
        joint=found,
        assessment=found.assessment,
        domain=definition.domain(section_id),
        definition=definition,
        form=form,
    )


@bp.route("/assessments/<int:assessment_id>/joint/submit", methods=["POST"])
@roles_required(*access.CASE_WORKERS)
def submit(assessment_id: int):
    found = access.joint_to_grade(current_user, assessment_id)
    form = JointSubmitForm()
    if form.validate_on_submit():
        try:
            joint.submit(found, current_user)
        except joint.NotReady:
            db.session.rollback()
            flash("Complete every area before you submit your grades.", "error")
            return redirect(url_for("joint.grading", assessment_id=assessment_id))
        db.session.commit()
        flash("Your grades are submitted.", "success")
    return redirect(url_for("joint.grading", assessment_id=assessment_id))


@bp.route("/practice/agreement")
@roles_required("supervisor", "auditor")
def agreement():
    """Supervisors see their own team's; auditors choose a team (or every team)."""
    team, teams = access.agreement_team(current_user, request.args.get("team"))
    figures = agreement_report(team)
    audit.record("agreement_viewed", user=current_user, detail=f"team {team.id}" if team else "every team")
    db.session.commit()
    return render_template("joint/agreement.html", team=team, teams=teams, report=figures)
