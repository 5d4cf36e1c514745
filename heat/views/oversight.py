"""Supervisor oversight and the child's history: reviews, the team dashboard, plan changes,
handovers, chronology entries and the history PDF."""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select

from forms.oversight import (
    ChronologyEntryForm,
    HandoverForm,
    PlanChangeForm,
    ReviewForm,
)
from heat.extensions import db
from heat.models import Child, Team, User, utcnow
from heat.services import access, audit, oversight
from heat.views import roles_required
from heat.views.casework import CASE_ROLES, PAGE_SIZE, result_context

bp = Blueprint("oversight", __name__)


@bp.route("/reviews")
@roles_required("supervisor")
def reviews():
    queue = db.session.scalars(oversight.review_queue_query(current_user.team_id)).all()
    flags = {}
    for assessment in queue:
        child = assessment.children[0]
        flags[assessment.id] = child.active_flags
    return render_template("oversight/reviews.html", queue=queue, flags=flags)


@bp.route("/assessments/<int:assessment_id>/review", methods=["GET", "POST"])
@roles_required("supervisor")
def review(assessment_id: int):
    assessment = access.assessment_for(current_user, assessment_id, to_change=True)
    if assessment.team_id != current_user.team_id:
        raise access.deny(current_user, f"review {assessment_id}")
    form = ReviewForm()
    if assessment.status != "submitted":
        flash("This assessment is not awaiting review.", "info")
        return redirect(url_for("casework.assessment", assessment_id=assessment.id))
    if form.validate_on_submit():
        try:
            oversight.record_decision(assessment, current_user, form.decision.data, form.rationale.data)
        except oversight.ReviewError as exc:
            db.session.rollback()
            form[exc.field].errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Decision recorded: {assessment.latest_decision.label}.", "success")
            return redirect(url_for("oversight.reviews"))
    child = assessment.children[0]
    record = oversight.history(child)
    audit.record("assessment_viewed", user=current_user, assessment_id=assessment.id, detail="review")
    db.session.commit()
    return render_template(
        "oversight/review.html",
        form=form,
        child=child,
        record=record,
        dates={v.id: v.visit_date for v in record.visits},
        chart=Markup(oversight.trend_chart(*oversight.trend_rows(record))),
        **result_context(assessment),
    )


@bp.route("/dashboard")
@roles_required(*CASE_ROLES)
def dashboard():
    teams = db.session.scalars(select(Team).order_by(Team.name)).all() if access.sees_all_teams(current_user) else []
    team_id = request.args.get("team", type=int) if teams else current_user.team_id
    team = db.session.get(Team, team_id) if team_id else None
    if team is None and teams:
        team = teams[0]
    if team is None:
        abort(404)
    sort = request.args.get("sort", "rating")
    show = request.args.get("show") or None
    plan = request.args.get("plan") or None
    page = max(1, request.args.get("page", 1, type=int))
    today = dt.date.today()
    children = access.children_query(current_user).where(Child.team_id == team.id)
    query = oversight.dashboard_query(children, sort=sort, show=show, plan=plan, today=today)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(page, pages)
    rows = db.session.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    workers = {
        u.id: u.name
        for u in db.session.scalars(select(User).where(User.id.in_({c.allocated_worker_id for c, _ in rows} - {None})))
    }
    audit.record("dashboard_viewed", user=current_user, detail=f"team {team.id}")
    db.session.commit()
    return render_template(
        "oversight/dashboard.html",
        rows=rows,
        team=team,
        teams=teams,
        workers=workers,
        total=total,
        page=page,
        pages=pages,
        sort=sort,
        show=show,
        plan=plan,
        today=today,
        frequency=oversight.visit_frequency,
        working_days=oversight.working_days_between,
    )


@bp.route("/children/<int:child_id>/plan", methods=["GET", "POST"])
@roles_required(*access.CASEWORK_ROLES)
def change_plan(child_id: int):
    child = access.child_for(current_user, child_id)
    form = PlanChangeForm(
        data={"plan_status": child.plan_status, "plan_category": child.plan_category or ""}
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        oversight.change_plan(
            child,
            current_user,
            form.plan_status.data,
            form.plan_category.data or None,
            form.effective_date.data,
            form.note.data,
        )
        db.session.commit()
        flash("Plan change recorded.", "success")
        return redirect(url_for("casework.child", child_id=child.id))
    return render_template("oversight/form.html", child=child, form=form, title="Change the plan")


@bp.route("/children/<int:child_id>/handover", methods=["GET", "POST"])
@roles_required(*access.CASEWORK_ROLES)
def handover(child_id: int):
    child = access.child_for(current_user, child_id)
    form = HandoverForm()
    workers = db.session.scalars(
        select(User)
        .where(User.team_id == child.team_id, User.active.is_(True), User.role.in_(access.CASEWORK_ROLES))
        .order_by(User.name)
    ).all()
    form.to_worker.choices = [("", "Choose a worker")] + [
        (str(u.id), u.name) for u in workers if u.id != child.allocated_worker_id
    ]
    if form.validate_on_submit():
        to_worker = next(u for u in workers if str(u.id) == form.to_worker.data)
        oversight.hand_over(child, current_user, to_worker, form.note.data)
        db.session.commit()
        flash(f"{child.first_name} is now allocated to {to_worker.name}.", "success")
        return redirect(url_for("casework.child", child_id=child.id))
    return render_template("oversight/form.html", child=child, form=form, title="Hand over to another worker")


@bp.route("/children/<int:child_id>/chronology/new", methods=["GET", "POST"])
@roles_required(*access.CASEWORK_ROLES)
def add_entry(child_id: int):
    child = access.child_for(current_user, child_id)
    form = ChronologyEntryForm()
    if form.validate_on_submit():
        oversight.add_entry(
            child, current_user, form.occurred_on.data, form.source_kind.data, form.source.data, form.summary.data
        )
        db.session.commit()
        flash("Added to the chronology.", "success")
        return redirect(url_for("casework.child", child_id=child.id, _anchor="chronology"))
    return render_template("oversight/form.html", child=child, form=form, title="Add to the chronology")


@bp.route("/children/<int:child_id>/history.pdf")
@roles_required(*CASE_ROLES)
def history_pdf(child_id: int):
    child = access.child_for(current_user, child_id)
    document = oversight.history_pdf(child, generated_by=current_user.name, generated_at=utcnow())
    audit.record("history_pdf", user=current_user, child_id=child.id)
    db.session.commit()
    return Response(
        document,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="heat-history-{child.id}.pdf"'},
    )
