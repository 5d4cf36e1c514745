"""A family history entry: what, for whom, where and when, and where the information came from."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms.validators import InputRequired

from forms.assessment import MIN_YEAR
from forms.fields import GovDateField, NeededToComplete, choice, long_text, not_before, not_in_future, submit, text
from heat.checklist.vocabulary import FAMILY_HISTORY_ABOUT, FAMILY_HISTORY_KINDS
from heat.services.family_history import EntryDetails


class FamilyHistoryForm(FlaskForm):
    kind = choice("What is it about?", FAMILY_HISTORY_KINDS, InputRequired("Select what the history is about"))
    about = choice(
        "Who does it concern?",
        FAMILY_HISTORY_ABOUT,
        InputRequired("Select whether it is about this child or the whole household"),
        hint="An entry about the household is shown for every child who lives there.",
    )
    summary = long_text(
        "What happened",
        NeededToComplete("Say what happened"),
        hint="For example: an older brother was removed at 6 months; a plan for neglect, ended in 2021.",
        max_length=3000,
    )
    place = text(
        "Where",
        hint="The area or agency, for example: Westshire Council (invented). "
        "Needed for children removed, previous plans and areas lived in.",
        max_length=200,
    )
    from_date = GovDateField("From", [not_in_future, not_before(MIN_YEAR)], description="For example, 3 11 2019")
    to_date = GovDateField("To", [not_in_future, not_before(MIN_YEAR)], description="Leave blank if it continues")
    source = text(
        "Source",
        NeededToComplete("Enter where the information came from"),
        hint="The agency, area and contact, or the family member who told you.",
        max_length=200,
    )
    source_date = GovDateField(
        "Date the information was given",
        [NeededToComplete("Enter the date the information was given"), not_in_future, not_before(MIN_YEAR)],
    )
    submit = submit("Save family history")

    def details(self) -> EntryDetails:
        return EntryDetails(
            self.kind.data,
            self.about.data,
            self.summary.data,
            self.place.data,
            self.from_date.data,
            self.to_date.data,
            self.source.data,
            self.source_date.data,
        )


class RemoveFamilyHistoryForm(FlaskForm):
    submit = submit("Remove from the family history")
