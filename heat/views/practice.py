"""Calibration cases: administrators draft, give reference grades and publish; practitioners grade
a published case privately and see how they compare; supervisors see their team's agreement."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from forms.assessment import field_key
from forms.practice import PracticeCaseForm, PracticePhotoForm, PublishForm, grades_form
from heat.checklist.calibration import MIN_SPREAD
from heat.checklist.vocabulary import AGES
from heat.extensions import db
from heat.models import PracticeCase
from heat.services import access, practice
from heat.views import audited, carried_out, roles_required

bp = Blueprint("practice", __name__)


def _case_form(case: PracticeCase | None) -> PracticeCaseForm:
    form = PracticeCaseForm(obj=case)
    form.checklist_version.choices = [("", "Choose a version")] + [(v, v) for v in practice.versions()]
    if case is None and not form.is_submitted():
        form.checklist_version.data = practice.versions()[0]
    return form


def _to_case(case: PracticeCase) -> ResponseReturnValue:
    return redirect(url_for("practice.case", case_id=case.id))


@bp.route("/admin/practice-cases")
@roles_required("admin")
@audited("practice_cases_viewed")
def cases() -> ResponseReturnValue:
    return render_template("practice/admin_cases.html", cases=practice.all_cases())


@bp.route("/admin/practice-cases/new", methods=["GET", "POST"])
@roles_required("admin")
@audited("practice_case_form_viewed")
def new_case() -> ResponseReturnValue:
    form = _case_form(None)
    if form.validate_on_submit():
        case = carried_out(form, lambda: practice.create(current_user, form.details()))
        if case is not None:
            flash("Practice case saved as a draft. Give its reference grades next.", "success")
            return redirect(url_for("practice.reference", case_id=case.id))
    return render_template("practice/case_form.html", form=form, case=None, title="Add a practice case")


@bp.route("/admin/practice-cases/<int:case_id>", methods=["GET", "POST"])
@roles_required("admin")
@audited("practice_case_viewed")
def case(case_id: int) -> ResponseReturnValue:
    """The case as practitioners will read it, its reference grades, and Publish."""
    case = access.practice_case_to_manage(current_user, case_id)
    form = PublishForm()
    if form.validate_on_submit():
        if form.remove_photo.data is not None:
            if carried_out(form, lambda: practice.remove_photo(case, current_user, form.remove_photo.data)):
                flash("Photo removed.", "success")
                return _to_case(case)
        elif carried_out(form, lambda: practice.publish(case, current_user)):
            flash("Practice case published. Practitioners can grade it now.", "success")
            return _to_case(case)
    return render_template(
        "practice/case.html",
        case=case,
        form=form,
        definition=practice.definition_of(case),
        missing=practice.missing_reference(case),
        age=AGES[case.age_group],
        title=case.title,
    )


@bp.route("/admin/practice-cases/<int:case_id>/details", methods=["GET", "POST"])
@roles_required("admin")
@audited("practice_case_form_viewed")
def change_case(case_id: int) -> ResponseReturnValue:
    case = access.practice_case_to_manage(current_user, case_id)
    form = _case_form(case)
    form.submit.label.text = "Save changes"
    if form.validate_on_submit() and carried_out(form, lambda: practice.change(case, current_user, form.details())):
        flash("Practice case changed.", "success")
        return _to_case(case)
    return render_template("practice/case_form.html", form=form, case=case, title="Change the practice case")


@bp.route("/admin/practice-cases/<int:case_id>/photos/new", methods=["GET", "POST"])
@roles_required("admin")
@audited("practice_case_form_viewed")
def add_photo(case_id: int) -> ResponseReturnValue:
    case = access.practice_case_to_manage(current_user, case_id)
    if case.published:
        return _to_case(case)
    form = PracticePhotoForm()
    if form.validate_on_submit() and carried_out(
        form, lambda: practice.add_photo(case, current_user, form.prepared(), form.caption.data.strip())
    ):
        flash("Photo added.", "success")
        return _to_case(case)
    return render_template("practice/photo_form.html", form=form, case=case, title="Add a photo of the home")


@bp.route("/practice-cases/<int:case_id>/photos/<int:photo_id>")
@roles_required("admin", *access.CASE_WORKERS)
@audited("practice_photo_viewed")
def photo(case_id: int, photo_id: int) -> ResponseReturnValue:
    """One photo of a practice case's home, to whoever may read the case."""
    kept = access.practice_photo_for(current_user, case_id, photo_id)
    return Response(practice.photo_jpeg(kept), mimetype="image/jpeg", headers={"Content-Disposition": "inline"})


@bp.route("/admin/practice-cases/<int:case_id>/reference", methods=["GET", "POST"])
@roles_required("admin")
@audited("practice_case_form_viewed")
def reference(case_id: int) -> ResponseReturnValue:
    case = access.practice_case_to_manage(current_user, case_id)
    definition = practice.definition_of(case)
    form_class = grades_form(definition, "Save reference grades")
    form = form_class(data={f"grade_{field_key(i)}": g for i, g in case.reference_grades.items()})
    form.completing = False  # a draft's reference may be given a few items at a time; Publish checks it is whole
    if form.validate_on_submit() and carried_out(
        form, lambda: practice.set_reference(case, current_user, form.grades())
    ):
        flash("Reference grades saved.", "success")
        return _to_case(case)
    return render_template(
        "practice/grades.html",
        case=case,
        form=form,
        definition=definition,
        title="Reference grades",
        back=url_for("practice.case", case_id=case.id),
        back_text="Back to the practice case",
        intro="The grades an experienced practitioner would give this home. You can save some and come back: "
        "every item needs one before the case is published. Practitioners see them only after they have graded "
        "the case themselves.",
    )


@bp.route("/practice-cases")
@roles_required(*access.CASE_WORKERS)
@audited("practice_cases_viewed")
def practice_cases() -> ResponseReturnValue:
    return render_template(
        "practice/cases.html",
        cases=practice.published_cases(),
        graded=practice.attempted_case_ids(current_user),
        title="Practice cases",
    )


@bp.route("/practice-cases/<int:case_id>/grade", methods=["GET", "POST"])
@roles_required("practitioner")
@audited("practice_case_viewed")
def grade(case_id: int) -> ResponseReturnValue:
    case = access.practice_case_to_grade(current_user, case_id)
    if practice.attempt_of(case, current_user) is not None:
        return redirect(url_for("practice.result", case_id=case.id))
    definition = practice.definition_of(case)
    form = grades_form(definition, "Submit my grades")()
    if form.validate_on_submit():
        try:
            done = carried_out(form, lambda: practice.submit(case, current_user, form.grades()))
        except IntegrityError:  # the same grades sent twice at once: the first is kept
            db.session.rollback()
            done = practice.attempt_of(case, current_user)
        if done is not None:
            return redirect(url_for("practice.result", case_id=case.id))
    return render_template(
        "practice/grades.html",
        case=case,
        form=form,
        definition=definition,
        title=case.title,
        back=url_for("practice.practice_cases"),
        back_text="Back to practice cases",
        intro="Read the description, then grade every item as you would on a visit. This is a private exercise: "
        "it is never part of a child’s record. You can grade a case once; then you see your grades beside the "
        "reference grades and your team’s.",
        show_description=True,
    )


@bp.route("/practice-cases/<int:case_id>/result")
@roles_required("practitioner")
@audited("practice_result_viewed")
def result(case_id: int) -> ResponseReturnValue:
    case = access.practice_case_to_grade(current_user, case_id)
    attempt = practice.attempt_of(case, current_user)
    if attempt is None:
        return redirect(url_for("practice.grade", case_id=case.id))
    return render_template(
        "practice/result.html",
        case=case,
        outcome=practice.result(case, attempt),
        definition=practice.definition_of(case),
        min_spread=MIN_SPREAD,
        title=f"Your grades: {case.title}",
    )


@bp.route("/practice-cases/<int:case_id>/agreement")
@roles_required("supervisor")
@audited("practice_agreement_viewed")
def agreement(case_id: int) -> ResponseReturnValue:
    case, team_id = access.practice_team_for(current_user, case_id)
    return render_template(
        "practice/agreement.html",
        case=case,
        people=practice.team_agreement(case, team_id),
        title=f"Agreement with the reference: {case.title}",
    )
