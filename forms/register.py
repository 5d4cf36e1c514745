"""The register: adding a child, correcting their details, a move, a transfer and an import.
What makes details valid is decided by services.register (the same for the form, the import and
the API); these forms collect what was typed."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput
from wtforms.validators import InputRequired

from forms.fields import GovDateField, checkboxes, choice, long_text, select, submit, text
from heat.checklist.vocabulary import HOME_KINDS, PLAN_STATUSES
from heat.services.register import Address, Details


def _address_fields():
    """The address questions, made afresh for each form so they sort after its own fields."""
    return (
        text("Address line 1", max_length=200),
        text("Address line 2 (optional)", max_length=200),
        text("Town or city", max_length=100),
        text("Postcode", max_length=10),
        text(
            "Local authority area",
            max_length=100,
            hint="The council whose area the home is in, for example Northshire County Council",
        ),
        choice("Kind of home", HOME_KINDS, InputRequired("Select the kind of home")),
    )


class AddressFields:
    def address(self) -> Address:
        return Address(
            self.address_line_1.data or "",  # type: ignore[attr-defined]
            self.address_line_2.data,  # type: ignore[attr-defined]
            self.town.data,  # type: ignore[attr-defined]
            self.postcode.data,  # type: ignore[attr-defined]
            self.area.data,  # type: ignore[attr-defined]
            self.kind.data or "",  # type: ignore[attr-defined]
        )


class ChildForm(AddressFields, FlaskForm):
    """Add a child. Team and worker choices are filled in by the view. Fields in page order (the
    error summary lists them in this order)."""

    duplicates_confirmed = checkboxes("Possible duplicate", {"yes": "This is a different child: add them"})
    first_name = text("First name", hint="Can be left blank for an unborn baby", max_length=100)
    last_name = text("Last name", max_length=100)
    date_of_birth = GovDateField("Date of birth", description="For example, 27 3 2025")
    expected_date_of_birth = GovDateField(
        "Expected date of birth", description="Only for an unborn baby. For example, 14 5 2027"
    )
    case_reference = text("Case reference", hint="The child’s reference in the case system", max_length=30)
    lives_with = text(
        "Lives with a brother or sister already in HEAT (optional)",
        hint="Their case reference. Children who live together can be covered by one visit.",
        max_length=30,
    )
    team_id = select("Team", {})
    allocated_worker_id = select("Allocated worker", {})
    plan_status = choice("Plan", PLAN_STATUSES, InputRequired("Select the plan"))
    address_line_1, address_line_2, town, postcode, area, kind = _address_fields()
    submit = submit("Add child")

    def details(self) -> Details:
        return Details(
            case_reference=self.case_reference.data or "",
            first_name=self.first_name.data or "",
            last_name=self.last_name.data or "",
            date_of_birth=self.date_of_birth.data,
            expected_date_of_birth=self.expected_date_of_birth.data,
            team_id=int(self.team_id.data) if (self.team_id.data or "").isdigit() else None,
            allocated_worker_id=int(self.allocated_worker_id.data)
            if (self.allocated_worker_id.data or "").isdigit()
            else None,
            plan_status=self.plan_status.data or "",
            address=self.address(),
            lives_with=self.lives_with.data,
        )


class ChildDetailsForm(FlaskForm):
    """Correct a child's details, or add a baby's name and date of birth after birth. The plan
    changes through "Change the plan"; the team through a transfer; the address through a move."""

    first_name = text("First name", max_length=100)
    last_name = text("Last name", max_length=100)
    date_of_birth = GovDateField("Date of birth", description="When the baby is born, add the date of birth")
    expected_date_of_birth = GovDateField("Expected date of birth")
    case_reference = text("Case reference", max_length=30)
    allocated_worker_id = select("Allocated worker", {})
    lives_with = text(
        "Lives with a brother or sister already in HEAT (optional)", hint="Their case reference", max_length=30
    )
    submit = submit("Save changes")


class MoveForm(AddressFields, FlaskForm):
    address_line_1, address_line_2, town, postcode, area, kind = _address_fields()
    moved_on = GovDateField("Date they moved", description="For example, 3 11 2026")
    submit = submit("Record the move")


class PreviousAddressForm(AddressFields, FlaskForm):
    """Where the family lived before the child was registered."""

    address_line_1, address_line_2, town, postcode, area, kind = _address_fields()
    from_date = GovDateField("Lived there from", description="For example, 3 11 2024")
    until = GovDateField("Moved out on", description="For example, 14 2 2025")
    submit = submit("Add the previous address")


class CorrectAddressForm(AddressFields, FlaskForm):
    address_line_1, address_line_2, town, postcode, area, kind = _address_fields()
    from_date = GovDateField("Lived there from", description="For example, 3 11 2024")
    submit = submit("Save the correction")


class TransferForm(FlaskForm):
    to_team = select("Transfer to", {})
    note = long_text(
        "Note for the receiving team",
        hint="Why the child is moving team and what the receiving team needs to know first.",
    )
    submit = submit("Transfer child")


class AcknowledgeForm(FlaskForm):
    to_worker = select("New allocated worker", {})
    submit = submit("Acknowledge transfer")


class ImportForm(FlaskForm):
    file = FileField(
        "CSV file",
        validators=[FileRequired("Choose a CSV file"), FileAllowed(["csv"], "The file must be a CSV file")],
        widget=GovFileInput(),
        description="Exported from the case system, with the header row described below",
    )
    options = checkboxes(
        "Options",
        {
            "dry_run": "Check only: show what would change and change nothing",
            "skip_invalid": "Skip rows with problems and import the rest",
        },
    )
    submit = submit("Import children")
