"""Administration: user accounts and teams."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from forms.admin import ResetTwoStepForm, RetentionForm, TeamForm, UserForm
from heat import tasks
from heat.extensions import db
from heat.models import Child, User
from heat.services import accounts, audit, mfa, retention, sessions
from heat.views import audited, carried_out, roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _team_choices(form: UserForm) -> None:
    teams = accounts.all_teams()
    form.team_id.choices = [("", "No team")] + [(str(t.id), t.name) for t in teams]


@bp.route("/users")
@roles_required("admin")
@audited("users_viewed")
def users():
    return render_template("admin/users.html", users=accounts.all_users())


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required("admin")
@audited("new_user_form_viewed")
def new_user():
    return _edit_user(None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
@audited("user_viewed")
def edit_user(user_id: int):
    return _edit_user(db.get_or_404(User, user_id))


def _edit_user(user: User | None):
    form = UserForm(
        data=None
        if user is None
        else {
            "name": user.name,
            "email": user.email,
            "role": user.role,
            "team_id": str(user.team_id or ""),
            "active": "active" if user.active else "deactivated",
        }
    )
    if user is None and not form.is_submitted():
        form.active.data = "active"
    _team_choices(form)
    if form.validate_on_submit() and carried_out(
        form,
        lambda: accounts.save_user(
            current_user,
            user,
            name=form.name.data,
            email=form.email.data,
            role=form.role.data,
            team_id=int(form.team_id.data) if form.team_id.data else None,
            password=form.password.data or None,
            active=form.active.data == "active",
        ),
    ):
        flash("User saved.", "success")
        return redirect(url_for("admin.users"))
    return render_template(
        "admin/user.html",
        form=form,
        user=user,
        reset_form=ResetTwoStepForm(),
        live=sessions.live_for(user) if user is not None else [],
    )


@bp.route("/users/<int:user_id>/two-step/reset", methods=["POST"])
@roles_required("admin")
def reset_two_step(user_id: int):
    """A lost phone and no recovery codes: two-step sign-in is turned off for the user, their
    sessions end, and they set it up again at their next sign-in where it is required."""
    user = db.get_or_404(User, user_id)
    form = ResetTwoStepForm()
    if form.validate_on_submit():
        mfa.reset(current_user, user)
        db.session.commit()
        flash(f"Two-step sign-in reset for {user.name}. They will set it up again when they next sign in.", "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/sessions/end", methods=["POST"])
@roles_required("admin")
def end_user_sessions(user_id: int):
    user = db.get_or_404(User, user_id)
    form = ResetTwoStepForm()  # a button with its CSRF token
    if form.validate_on_submit():
        accounts.end_sessions(user)
        audit.record("sessions_ended", user=current_user, target_user_id=user.id, detail="every session")
        db.session.commit()
        flash(f"Every session of {user.name} has been signed out.", "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/teams", methods=["GET", "POST"])
@roles_required("admin")
@audited("teams_viewed")
def teams():
    form = TeamForm()
    if form.validate_on_submit() and carried_out(form, lambda: accounts.create_team(current_user, form.name.data)):
        flash("Team added.", "success")
        return redirect(url_for("admin.teams"))
    return render_template("admin/teams.html", form=form, teams=accounts.all_teams())


@bp.route("/retention")
@roles_required("admin")
@audited("retention_list_viewed")
def retention_due():
    """Records due for review under the retention rule (HEAT_RETENTION_REVIEW_AGE)."""
    return render_template("admin/retention.html", due=retention.due(), review_date=retention.review_date)


@bp.route("/retention/<int:child_id>", methods=["GET", "POST"])
@roles_required("admin")
def retention_decision(child_id: int):
    child = db.get_or_404(Child, child_id)
    if child.erased_at is not None:
        abort(404)
    form = RetentionForm()
    if form.validate_on_submit() and carried_out(
        form, lambda: retention.decide(current_user, child, form.action.data, form.reason.data) or True
    ):
        tasks.render_pdfs()  # a brother's or sister's visit printed again without them
        flash(
            "The records have been erased." if form.action.data == "erase" else "The records are restricted.", "success"
        )
        return redirect(url_for("admin.retention_due"))
    audit.record("retention_viewed", user=current_user, child_id=child.id)
    db.session.commit()
    return render_template(
        "admin/retention_decision.html",
        child=child,
        form=form,
        counts=retention.counts(child),
        review_date=retention.review_date(child.date_of_birth) if child.date_of_birth else None,
    )
