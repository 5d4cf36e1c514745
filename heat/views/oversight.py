"""Supervisor oversight and the child's history: reviews, the team dashboard, plan changes,
handovers, chronology entries and the history PDF."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from markupsafe import Markup

from forms.oversight import (
    ChronologyEntryForm,
    HandoverForm,
    PlanChangeForm,
    PlanDecisionForm,
    PlanNotedForm,
    review_form,
)
from heat import tasks
from heat.checklist import working_days
from heat.checklist.vocabulary import DECISIONS
from heat.extensions import db
from heat.models import utcnow
from heat.services import access, audit, child_record, history, history_pdf, joint, notifications, reviews, summaries
from heat.services.dashboard import dashboard as team_dashboard
from heat.services.decision_pack import decision_pack
from heat.views import audited, carried_out, recorded_visit_context, roles_required

bp = Blueprint("oversight", __name__)


@bp.route("/reviews", endpoint="reviews")
@roles_required("supervisor")
@audited("reviews_viewed")
def reviews_queue() -> ResponseReturnValue:
    return render_template(
        "oversight/reviews.html",
        queue=reviews.review_queue(current_user, request.args.get("page", type=int)),
        plan_changes=child_record.plan_changes_to_decide(current_user),
    )


@bp.route("/assessments/<int:assessment_id>/review", methods=["GET", "POST"])
@roles_required("supervisor")
def review(assessment_id: int) -> ResponseReturnValue:
    assessment = access.assessment_to_review(current_user, assessment_id)
    if assessment.status != "submitted":
        flash("This assessment is not awaiting review.", "info")
        return redirect(url_for("casework.assessment", assessment_id=assessment.id))
    if request.method == "POST":
        access.refuse_decision(current_user, assessment)  # a child transferred away: read-only
    records = {c.id: history.history(c) for c in assessment.children}
    flags = reviews.flags_to_answer(assessment, records)
    form = review_form(flags)
    answers = {f.key: (form[f"{f.key}-response"].data, form[f"{f.key}-reason"].data) for f in flags}
    if form.validate_on_submit() and carried_out(
        form,
        lambda: reviews.record_decision(
            assessment, current_user, form.decision.data, form.rationale.data, answers, form.action_today.data
        ),
    ):
        tasks.render_pdfs([assessment.id])
        tasks.notify(notifications.DECISION_RECORDED, assessment.id)
        flash(f"Decision recorded: {DECISIONS[form.decision.data]}.", "success")
        return redirect(url_for("oversight.reviews"))
    child = assessment.children[0]
    record = records[child.id]
    titles, rows = history.trend_rows(record)
    audit.record("assessment_viewed", user=current_user, assessment_id=assessment.id, detail="review")
    db.session.commit()
    return render_template(
        "oversight/review.html",
        form=form,
        flags=flags,
        may_decide=reviews.may_decide(assessment, current_user),
        read_only=access.decision_refused(current_user, assessment),
        child=child,
        records=records,
        record=record,
        dates={v.id: v.visit_date for r in records.values() for v in r.visits},
        chart=Markup(history.trend_chart(record, titles, rows)),
        trend_summary=history.trend_sentence(record, titles, rows),
        packs=[decision_pack(c, records[c.id], under_review=assessment) for c in assessment.children],
        **recorded_visit_context(assessment),
    )


@bp.route("/dashboard")
@roles_required(*access.CASE_READERS)
def dashboard() -> ResponseReturnValue:
    sort = request.args.get("sort", "rating")
    show = request.args.get("show") or None
    plan = request.args.get("plan") or None
    board = team_dashboard(
        current_user,
        request.args.get("team", type=int),
        sort=sort,
        show=show,
        plan=plan,
        page=request.args.get("page", type=int),
    )
    audit.record("dashboard_viewed", user=current_user, detail=f"team {board.team.id}")
    db.session.commit()
    return render_template(
        "oversight/dashboard.html",
        team=board.team,
        teams=board.teams,
        pager=board.pager,
        workers=board.workers,
        today=board.today,
        second_supervisor=board.second_supervisor,
        second_supervisor_total=board.second_supervisor_total,
        reds_waiting=board.reds_waiting,
        reds_total=board.reds_total,
        sort=sort,
        show=show,
        plan=plan,
        frequency=summaries.visit_frequency,
        working_days=working_days.working_days_between,
        # A visit of record the user is grading too: its rating, direction and flags wait for both.
        hidden_ratings={j.assessment_id for j in joint.waiting_for(current_user)}
        if current_user.role == "practitioner"
        else set(),
    )


@bp.route("/children/<int:child_id>/plan", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def change_plan(child_id: int) -> ResponseReturnValue:
    child = access.child_for(current_user, child_id, to_change=True)
    form = PlanChangeForm(
        data={"plan_status": child.plan_status, "plan_category": child.plan_category or ""}
        if request.method == "GET"
        else None
    )
    change = form.validate_on_submit() and carried_out(
        form,
        lambda: child_record.change_plan(
            child,
            current_user,
            form.plan_status.data,
            form.plan_category.data or None,
            form.effective_date.data,
            form.note.data,
        ),
    )
    if change:
        if change.status == "requested":
            flash("Step-down requested. The plan stays as it is until a supervisor agrees.", "success")
        else:
            flash("Plan change recorded.", "success")
        return redirect(url_for("casework.child", child_id=child.id))
    return render_template("oversight/form.html", child=child, form=form, title="Change the plan")


@bp.route("/children/<int:child_id>/plan-changes/<int:change_id>", methods=["GET", "POST"])
@roles_required("supervisor")
def decide_plan_change(child_id: int, change_id: int) -> ResponseReturnValue:
    """A step-down to agree or not, or a step-up to note."""
    change = access.plan_change_to_decide(current_user, child_id, change_id)
    child = change.child
    if change.status not in ("requested", "to_note"):
        flash("This plan change is not waiting for a supervisor.", "info")
        return redirect(url_for("casework.child", child_id=child.id))
    if change.status == "requested":
        form: PlanDecisionForm | PlanNotedForm = PlanDecisionForm()
        decided = form.validate_on_submit() and carried_out(
            form,
            lambda: child_record.decide_step_down(change, current_user, form.decision.data, form.rationale.data),
        )
        done = f"Step-down {'agreed' if change.status == 'agreed' else 'not agreed'}."
    else:
        form = PlanNotedForm()
        decided = form.validate_on_submit() and carried_out(
            form, lambda: child_record.note_plan_change(change, current_user)
        )
        done = "Plan change noted."
    if decided:
        flash(done, "success")
        return redirect(url_for("oversight.reviews"))
    record = history.history(child)
    pack = decision_pack(child, record)
    audit.record("plan_change_viewed", user=current_user, child_id=child.id)
    db.session.commit()
    return render_template(
        "oversight/plan_change.html",
        child=child,
        change=change,
        form=form,
        own=change.changed_by_id == current_user.id,
        pack=pack,
        refused=child_record.step_down_refused(change, record.visits, pack.today)
        if change.status == "requested"
        else None,
    )


@bp.route("/children/<int:child_id>/handover", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def handover(child_id: int) -> ResponseReturnValue:
    child = access.child_for(current_user, child_id, to_change=True)
    form = HandoverForm()
    workers = child_record.handover_candidates(child)
    form.to_worker.choices = [("", "Choose a worker")] + [(str(u.id), u.name) for u in workers]
    if form.validate_on_submit():
        to_worker = next(u for u in workers if str(u.id) == form.to_worker.data)
        child_record.hand_over(child, current_user, to_worker, form.note.data)
        db.session.commit()
        flash(f"{child.name} is now allocated to {to_worker.name}. Print this summary for them.", "success")
        return redirect(url_for("register.handover_summary", child_id=child.id))
    return render_template("oversight/form.html", child=child, form=form, title="Hand over to another worker")


@bp.route("/children/<int:child_id>/chronology/new", methods=["GET", "POST"])
@roles_required(*access.CASE_WORKERS)
@audited("change_form_viewed")
def add_entry(child_id: int) -> ResponseReturnValue:
    child = access.child_for(current_user, child_id, to_change=True)
    form = ChronologyEntryForm()
    if form.validate_on_submit() and carried_out(
        form,
        lambda: child_record.add_entry(
            child, current_user, form.occurred_on.data, form.source_kind.data, form.source.data, form.summary.data
        ),
    ):
        flash("Added to the chronology.", "success")
        return redirect(url_for("casework.child", child_id=child.id, _anchor="chronology"))
    return render_template("oversight/form.html", child=child, form=form, title="Add to the chronology")


@bp.route("/children/<int:child_id>/history.pdf", endpoint="history_pdf")
@roles_required(*access.CASE_READERS)
def history_document(child_id: int) -> ResponseReturnValue:
    child = access.child_for(current_user, child_id)
    access.check_pdf_allowance(current_user)
    document = history_pdf.history_pdf(child, generated_by=current_user.name, generated_at=utcnow())
    audit.record("history_pdf", user=current_user, child_id=child.id)
    db.session.commit()
    return Response(
        document,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="heat-history-{child.id}.pdf"'},
    )
