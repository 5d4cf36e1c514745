"""Emails to staff (issue 24): a Red visit submitted goes to the team's supervisors at once; a
decision recorded goes to the practitioner who submitted the visit; and each day every
practitioner and supervisor gets a summary of what waits for them. A user who chose "In a daily
summary" in Your account gets the decisions in that summary instead; a supervisor's summary lists
every Red still waiting for a decision, whatever their choice.

Only the worker sends (heat/tasks.py), never a web request, through SMTP or GOV.UK Notify
(heat/mail.py); nothing is sent when neither HEAT_SMTP_URL nor HEAT_NOTIFY_API_KEY is set. An
email names a case by its reference and links to HEAT: never a child's name, address or grades.
Every email sent is an audit row ("email_sent", naming the recipient), which is also how a
retried task knows whom it has already written to. The caller's task retries a failure.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, or_, select

from heat import mail
from heat.checklist.vocabulary import DECISIONS, RED
from heat.extensions import db
from heat.models import Assessment, AssessmentVersion, AuditEvent, Child, ReviewDecision, User
from heat.services import access, agencies, audit, child_record, dashboard

log = logging.getLogger("heat")

SENT = "email_sent"
RED_SUBMITTED = "red_submitted"
DECISION_RECORDED = "decision_recorded"
LISTED_PER_PART = 25  # cases named in one part of a daily summary; the rest are counted


@dataclass(frozen=True)
class Email:
    to: User
    subject: str
    body: str
    assessment_id: int | None
    about: str  # the audit row's detail: what the email was about, nothing personal


def enabled() -> bool:
    return bool(current_app.config["HEAT_SMTP_URL"] or current_app.config["HEAT_NOTIFY_API_KEY"])


def link(endpoint: str, **values: int) -> str:
    """An absolute link for an email, from HEAT_EXTERNAL_URL (there is no request to take it from)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["HEAT_EXTERNAL_URL"].rstrip("/") + path


def send(email: Email) -> None:
    """Send one email, then record it in the audit trail and commit."""
    mail.send(current_app.config, email.to.email, email.subject, email.body)
    audit.record(SENT, target_user_id=email.to.id, assessment_id=email.assessment_id, detail=email.about)
    db.session.commit()


def _references(children: Iterable[Child]) -> str:
    return ", ".join(sorted(child.reference for child in children))


def _version(assessment: Assessment) -> int:
    return (
        db.session.scalar(
            select(func.max(AssessmentVersion.number)).where(AssessmentVersion.assessment_id == assessment.id)
        )
        or 0
    )


def _already_sent(assessment_id: int, about: str) -> set[int]:
    return set(
        db.session.scalars(
            select(AuditEvent.target_user_id).where(
                AuditEvent.assessment_id == assessment_id, AuditEvent.action == SENT, AuditEvent.detail == about
            )
        )
    )


def red_submitted(assessment: Assessment) -> list[Email]:
    """To each supervisor of the team who chose emails straight away, while the Red waits."""
    if assessment.status != "submitted" or assessment.rating != RED.id:
        return []
    about = f"Red visit submitted (version {_version(assessment)})"
    supervisors = db.session.scalars(
        select(User).where(
            User.team_id == assessment.team_id,
            User.role == "supervisor",
            User.active.is_(True),
            User.email_choice == "immediate",
            User.id != assessment.submitted_by_id,
        )
    )
    cases = _references(assessment.children)
    visited = f" on {assessment.visit_date:%d %B %Y}" if assessment.visit_date else ""
    body = (
        f"A visit rated Red was submitted for case {cases}{visited}.\n\n"
        "A Red visit needs a supervisor's decision and action today. Review it in HEAT:\n"
        f"{link('oversight.review', assessment_id=assessment.id)}\n"
    )
    return [Email(user, f"Red visit to review today: {cases}", body, assessment.id, about) for user in supervisors]


def decision_recorded(assessment: Assessment) -> list[Email]:
    """To the practitioner who submitted the visit, when they chose emails straight away."""
    decision = db.session.scalars(
        select(ReviewDecision)
        .where(ReviewDecision.assessment_id == assessment.id)
        .order_by(ReviewDecision.decided_at.desc(), ReviewDecision.id.desc())
    ).first()
    practitioner = db.session.get(User, assessment.submitted_by_id) if assessment.submitted_by_id else None
    if decision is None or practitioner is None or not practitioner.active:
        return []
    if practitioner.email_choice != "immediate" or practitioner.id == decision.reviewer_id:
        return []
    label = DECISIONS[decision.decision]
    cases = _references(assessment.children)
    visited = f" on {assessment.visit_date:%d %B %Y}" if assessment.visit_date else ""
    body = (
        f"A supervisor recorded a decision on your visit for case {cases}{visited}: {label}.\n\n"
        f"See the decision and its rationale in HEAT:\n{link('casework.assessment', assessment_id=assessment.id)}\n"
    )
    about = f"Decision recorded: {label} (decision {decision.id})"
    return [Email(practitioner, f"Decision on your visit: {label}, case {cases}", body, assessment.id, about)]


EVENTS = {RED_SUBMITTED: red_submitted, DECISION_RECORDED: decision_recorded}


def send_event(event: str, assessment_id: int) -> int:
    """The emails about one event, each sent once: a retry after a failure writes only to those
    not yet written to. Answers how many were sent."""
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None or not enabled():
        return 0
    emails = EVENTS[event](assessment)
    done = _already_sent(assessment_id, emails[0].about) if emails else set()
    waiting = [email for email in emails if email.to.id not in done]
    for email in waiting:
        send(email)
    return len(waiting)


# The daily summary.


def summary_due(now: dt.datetime) -> dt.datetime | None:
    """Today's summary time, once it has passed."""
    at = dt.datetime.combine(now.date(), current_app.config["HEAT_DAILY_SUMMARY_AT"])
    return at if now >= at else None


def waiting_for_summary(due: dt.datetime) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.active.is_(True),
                User.role.in_(access.CASE_WORKERS),
                User.team_id.is_not(None),
                or_(User.daily_summary_at.is_(None), User.daily_summary_at < due),
            )
            .order_by(User.id)
        )
    )


def _part(heading: str, children: list[Child]) -> list[str]:
    if not children:
        return []
    lines = [f"{heading} ({len(children)}):"]
    lines += [f"- {c.reference}: {link('casework.child', child_id=c.id)}" for c in children[:LISTED_PER_PART]]
    if len(children) > LISTED_PER_PART:
        lines.append(f"- and {len(children) - LISTED_PER_PART} more: see HEAT")
    return [*lines, ""]


def _children(user: User, *conditions) -> list[Child]:
    """The user's own cases (a practitioner's allocated children; a supervisor's team's) that meet
    the conditions, by reference."""
    mine = Child.team_id == user.team_id if user.role == "supervisor" else Child.allocated_worker_id == user.id
    return list(db.session.scalars(access.children_query(user).where(mine, *conditions).order_by(Child.reference)))


def daily_summary(user: User, since: dt.datetime, now: dt.datetime) -> Email | None:
    """What waits for the user today; None when nothing does."""
    today = now.date()
    lines = _part("Visits due today", _children(user, Child.next_visit_due == today))
    lines += _part("Visits overdue", _children(user, dashboard.visit_overdue(today)))
    lines += _part("Information requests overdue", _children(user, agencies.waiting_for_information(today)))
    if user.role == "supervisor":
        transfers = child_record.transfers_in(user)
        lines += _part("Transfers waiting for you to acknowledge", [t.child for t in transfers])
        step_downs = [c for c in child_record.plan_changes_to_decide(user) if c.status == "requested"]
        lines += _part("Step-downs waiting for a decision", [c.child for c in step_downs])
        # Still waiting whatever the choice: an email straight away may have failed for good.
        reds = dashboard.reds_waiting(user.team_id or 0, now)
        lines += _part("Red visits waiting for a decision", [c for r in reds for c in r.assessment.children])
    if user.email_choice == "daily":
        decided = db.session.execute(
            select(ReviewDecision, Assessment)
            .join(Assessment, Assessment.id == ReviewDecision.assessment_id)
            .where(Assessment.submitted_by_id == user.id, ReviewDecision.decided_at >= since)
            .order_by(ReviewDecision.decided_at, ReviewDecision.id)
        ).all()
        for decision, assessment in decided:
            lines += [
                f"Decision on your visit for case {_references(assessment.children)}: {decision.label}: "
                f"{link('casework.assessment', assessment_id=assessment.id)}",
                "",
            ]
    if not lines:
        return None
    body = "\n".join([f"What is waiting for you in HEAT on {today:%d %B %Y}:", "", *lines, link("casework.home")])
    return Email(user, f"HEAT daily summary, {today:%d %B %Y}", body + "\n", None, f"Daily summary for {today}")


def send_daily_summaries(now: dt.datetime) -> int:
    """Each practitioner's and supervisor's summary for today, once the time has come, to those
    not yet sent it today. A failure stops the run (the server is likely down); the next run,
    a minute later, carries on from whoever was not yet sent theirs. Answers how many were sent."""
    due = summary_due(now)
    if due is None or not enabled():
        return 0
    sent = 0
    for user in waiting_for_summary(due):
        email = daily_summary(user, user.daily_summary_at or now - dt.timedelta(days=1), now)
        user.daily_summary_at = now  # committed with the email's audit row, or alone when there is none
        if email is not None:
            send(email)
            sent += 1
        db.session.commit()
    return sent
