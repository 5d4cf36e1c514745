"""Supervisor decisions, plan changes, handovers, chronology entries, exports and audit search."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_wtf import FlaskForm
from wtforms.validators import InputRequired, ValidationError

from forms.assessment import MIN_YEAR
from forms.fields import (
    GovDateField,
    NeededToComplete,
    checkboxes,
    choice,
    long_text,
    not_before,
    not_in_future,
    select,
    submit,
    text,
)
from heat.checklist.vocabulary import (
    CHRONOLOGY_SOURCES,
    CP_CATEGORIES,
    DECISIONS,
    FLAG_RESPONSES,
    PLAN_DECISIONS,
    PLAN_STATUSES,
)
from heat.models import FLAG_REASON_LIMIT

if TYPE_CHECKING:
    from heat.services.reviews import FlagToAnswer


class ReviewForm(FlaskForm):
    decision = choice("Decision", DECISIONS, InputRequired("Select a decision"))
    rationale = long_text(
        "Rationale",
        NeededToComplete("Enter the rationale for your decision"),
        hint="Why you made this decision. If you return it, say what must change.",
    )
    action_today = long_text(
        "Safeguarding action taken today",
        hint="What was done today to keep the child safe: who you spoke to, what was arranged. "
        "A Red visit can be Agreed only with this, or Escalated.",
        max_length=2000,
    )
    submit = submit("Record decision")


def review_form(flags: list[FlagToAnswer], **kwargs: Any) -> ReviewForm:
    """The review form with a response and a short reason for each active flag, asked first."""

    class FlagAnswers(ReviewForm):
        pass

    for flag in flags:
        about = f"‘{flag.title}’ ({flag.child.short_name})"
        setattr(
            FlagAnswers,
            f"{flag.key}-response",
            choice(f"Your response to {about}", FLAG_RESPONSES, InputRequired(f"Select your response to {about}")),
        )
        setattr(
            FlagAnswers,
            f"{flag.key}-reason",
            text(
                f"Reason for your response to {about}",
                NeededToComplete(f"Enter a short reason for your response to {about}"),
                max_length=FLAG_REASON_LIMIT,
            ),
        )
    return FlagAnswers(**kwargs)


class PlanChangeForm(FlaskForm):
    plan_status = choice("New plan", PLAN_STATUSES, InputRequired("Select the new plan"))
    plan_category = select("Child Protection category", {"": "Choose a category", **CP_CATEGORIES})
    effective_date = GovDateField(
        "Date the plan changed",
        [NeededToComplete("Enter the date the plan changed"), not_in_future, not_before(MIN_YEAR)],
    )
    note = long_text(
        "Rationale",
        hint="Why the plan changes: the conference or meeting that decided it, and what has improved. "
        "A step-down to a lower plan needs a rationale and a supervisor’s agreement.",
        max_length=2000,
    )
    submit = submit("Record plan change")

    def validate_plan_category(self, field):
        if self.plan_status.data == "cp" and not field.data:
            raise ValidationError("Select the Child Protection category")


class PlanDecisionForm(FlaskForm):
    decision = choice("Your decision on the step-down", PLAN_DECISIONS, InputRequired("Select Agreed or Not agreed"))
    rationale = long_text(
        "Rationale",
        NeededToComplete("Enter the rationale for your decision"),
        hint="Why you agree, or what must happen before the plan can step down.",
        max_length=2000,
    )
    submit = submit("Record decision")


class PlanNotedForm(FlaskForm):
    submit = submit("Mark as noted")


class HandoverForm(FlaskForm):
    to_worker = select("Hand over to", {})
    note = long_text(
        "Handover note",
        NeededToComplete("Enter a handover note"),
        hint="What the new worker needs to know: risks, actions due, who else is involved.",
    )
    submit = submit("Record handover")

    def validate_to_worker(self, field):
        if not field.data:
            raise ValidationError("Select who the child is handed over to")


class ChronologyEntryForm(FlaskForm):
    occurred_on = GovDateField("Date", [NeededToComplete("Enter the date"), not_in_future, not_before(MIN_YEAR)])
    source_kind = choice(
        "Where the information came from", CHRONOLOGY_SOURCES, InputRequired("Select where the information came from")
    )
    source = text(
        "Source",
        NeededToComplete("Enter the source, for example the agency, area and contact"),
        hint="Agency, area and contact, for example: Health visiting, Northshire, J. Smith.",
    )
    summary = long_text(
        "What happened or what you were told",
        NeededToComplete("Enter what happened or what you were told"),
        max_length=3000,
    )
    submit = submit("Add to chronology")


class ExportForm(FlaskForm):
    teams = checkboxes("Teams", {})
    date_from = GovDateField("From", [NeededToComplete("Enter the first visit date to include"), not_before(MIN_YEAR)])
    date_to = GovDateField("To", [NeededToComplete("Enter the last visit date to include"), not_before(MIN_YEAR)])
    submit = submit("Create export")

    def validate_teams(self, field):
        if not field.data:
            raise ValidationError("Select at least one team")

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date must be the same as or after the start date")


class RetryExportForm(FlaskForm):
    """ "Try again" on a failed or stopped export: the button, and the CSRF token with it."""

    retry = submit("Try again")


class AuditSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search: it changes nothing

    user = text("User's email address")
    child = text("Child's reference")
    date_from = GovDateField("From", [not_before(MIN_YEAR)])
    date_to = GovDateField("To", [not_before(MIN_YEAR)])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date must be the same as or after the start date")


class PracticePeriodForm(FlaskForm):
    """The period of the Practice quality page: both dates, or neither (the last three months)."""

    class Meta:
        csrf = False  # a GET page: it changes nothing

    date_from = GovDateField("From", [not_before(MIN_YEAR)])
    date_to = GovDateField("To", [not_before(MIN_YEAR)])

    def validate_date_from(self, field):
        if field.data is None and not field.errors and self.date_to.data is not None:
            raise ValidationError("Enter the start date")

    def validate_date_to(self, field):
        if field.data is None and not field.errors and self.date_from.data is not None:
            raise ValidationError("Enter the end date")
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date must be the same as or after the start date")
        if field.data and self.date_from.data and (field.data - self.date_from.data).days > PRACTICE_MAX_DAYS:
            raise ValidationError("The period must be 2 years or shorter")


PRACTICE_MAX_DAYS = 731
