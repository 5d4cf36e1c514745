"""A child's family history: read it, add, change or remove an entry."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from forms.family_history import FamilyHistoryForm, RemoveFamilyHistoryForm
from heat.services import access, family_history
from heat.views import audited, carried_out, roles_required

bp = Blueprint("family_history", __name__)


def _back(child_id: int) -> ResponseReturnValue:
    return redirect(url_for("family_history.family_history", child_id=child_id))


@bp.route("/children/<int:child_id>/family-history", endpoint="family_history")
@roles_required(*access.CASE_READERS)
@audited("family_history_viewed")
def family_history_page(child_id: int) -> ResponseReturnValue:
    child = access.child_for(current_user, child_id)
    return render_template(
        "family_history/family_history.html",
        child=child,
        entries=family_history.entries_for(child),
        can_change=access.can_assess(current_user) and child.team_id == current_user.team_id,
    )


@bp.route("/children/<int:child_id>/family-history/new", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def add_entry(child_id: int) -> ResponseReturnValue:
    child = access.child_for(current_user, child_id, to_change=True)
    form = FamilyHistoryForm(data={"about": "household" if child.household_id else "child"})
    if form.validate_on_submit() and carried_out(form, lambda: family_history.add(child, current_user, form.details())):
        flash("Added to the family history.", "success")
        return _back(child.id)
    return render_template("oversight/form.html", child=child, form=form, title="Add to the family history")


@bp.route("/children/<int:child_id>/family-history/<int:entry_id>", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def change_entry(child_id: int, entry_id: int) -> ResponseReturnValue:
    child, entry = access.family_history_to_change(current_user, child_id, entry_id)
    form = FamilyHistoryForm(obj=entry)
    form.submit.label.text = "Save changes"
    if form.validate_on_submit() and carried_out(
        form, lambda: family_history.change(entry, child, current_user, form.details())
    ):
        flash("Family history changed.", "success")
        return _back(child.id)
    return render_template("oversight/form.html", child=child, form=form, title="Change the family history")


@bp.route("/children/<int:child_id>/family-history/<int:entry_id>/remove", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def remove_entry(child_id: int, entry_id: int) -> ResponseReturnValue:
    child, entry = access.family_history_to_change(current_user, child_id, entry_id)
    form = RemoveFamilyHistoryForm()
    if form.validate_on_submit() and carried_out(form, lambda: family_history.remove(entry, child, current_user)):
        flash("Removed from the family history.", "success")
        return _back(child.id)
    return render_template("family_history/remove.html", child=child, entry=entry, form=form)
