"""The assessment, one form per section. Checklist domain forms are built from the definition."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovFileInput
from wtforms import Field, FieldList, Form, FormField, HiddenField
from wtforms.validators import Length, ValidationError

from forms.fields import (
    GovDateField,
    NeededToComplete,
    RequiredWhen,
    checkboxes,
    choice,
    long_text,
    not_before,
    not_in_future,
    select,
    submit,
    text,
    time_text,
)
from heat.checklist import Definition
from heat.checklist.vocabulary import (
    ACTION_STATUSES,
    ADVICE,
    CHILD_NOT_SEEN,
    CHILD_SEEN,
    CP_CATEGORIES,
    EVIDENCE_SOURCES,
    FAMILY_SEES_HINT,
    GRADED,
    INFANT_AWAKE,
    NO_ACCESS_REASONS,
    OBSERVED,
    PARENT_AGREES,
    PLAN_STATUSES,
    REFERRALS,
    RELATIONSHIPS,
    RESIDENCE,
    ROOM_NOT_IN_HOME,
    ROOM_NOT_IN_HOME_LABEL,
    ROOM_STATUSES,
    ROOM_UNSEEN,
    SEEN_ALONE,
    SEX,
    UNBORN,
    VISIT_TYPES,
    YES_NO,
    YES_NO_UNKNOWN,
)
from heat.services import photos
from heat.services.assessments import SectionKind, section_of

# People and actions use the GOV.UK "add another" pattern: the rows entered, one spare, and buttons to
# add or remove a row (they work without JavaScript; with it, the page adds and removes rows itself).
MAX_ROWS = 20
MIN_YEAR = 2000


class SectionForm(FlaskForm):
    """Every section carries the assessment's version, so a save from a stale page is caught."""

    version = HiddenField()
    save_key = HiddenField()
    save = submit("Save and continue")
    save_later = submit("Save and come back later")
    required_when: tuple[RequiredWhen, ...] = ()

    def validate_for(self, completing: bool) -> bool:
        self.completing = completing
        return self.validate()

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for rule in self.required_when:
            ok = rule.check(self) and ok
        return ok


def tablet_rules(form) -> list[dict]:
    """What the section page's script checks before the page moves on, in the order of the form's
    questions, with the server's own messages, read from the form's validators: an answer needed to
    complete the section (or when another answer is given), a real date, a length limit. The server
    checks all of these again, and more."""
    needed = {rule.field: rule for rule in getattr(form, "required_when", ())}
    rules = []
    for field in form:
        checks: dict[str, Any] = {}
        for validator in field.validators:
            if isinstance(validator, NeededToComplete):
                checks["required"] = validator.message
            elif isinstance(validator, Length) and validator.max >= 0:
                checks["max"], checks["too_long"] = validator.max, validator.message
        if field.name in needed:
            rule = needed[field.name]
            checks["required_when"] = {
                "name": rule.when,
                "values": list(rule.values),
                "message": rule.message,
                "completing_only": rule.completing_only,
            }
        if isinstance(field, GovDateField):
            checks["date"] = f"{field.label.text} must be a real date, for example 27 3 2026"
        if checks:
            kind = "date" if isinstance(field, GovDateField) else field.type
            rules.append({"name": field.name, "id": field.id, "kind": kind, **checks})
    return rules


class StartForm(FlaskForm):
    start_key = HiddenField()
    children = checkboxes(
        "Which children does this visit cover?", {}, hint="Grade for the most vulnerable child in the home."
    )
    submit = submit("Start a new assessment")

    def validate_children(self, field):
        if not field.data:
            raise ValidationError("Select at least one child")


class SubmitForm(FlaskForm):
    version = HiddenField()
    submission_key = HiddenField()
    submit = submit("Submit assessment")


class VisitForm(SectionForm):
    visit_date = GovDateField(
        "Date of visit",
        [NeededToComplete("Enter the date of the visit"), not_in_future, not_before(MIN_YEAR)],
        description="For example, 27 3 2026",
    )
    visit_time = time_text(
        "Time of visit",
        NeededToComplete("Enter the time of the visit"),
        hint="For example, 14:30 or 2.30pm",
    )
    announced = choice(
        "Was the visit announced?",
        {"yes": "Announced", "no": "Unannounced"},
        NeededToComplete("Select whether the visit was announced"),
    )
    visit_type = choice("Visit type", VISIT_TYPES, NeededToComplete("Select the visit type"))
    plan_status = choice(
        "Child's plan on the day of the visit", PLAN_STATUSES, NeededToComplete("Select the child's plan on the day")
    )
    plan_category = select("Child Protection category", {"": "Choose a category", **CP_CATEGORIES})
    joint_visitor = text("Joint visitor (if any)", hint="Name of anyone who visited with you")
    joint_visitor_agency = text("Joint visitor's agency")
    handover_from = text("Case handed over from (if any)", hint="Worker or agency the case came from")
    handover_to = text("Case handed over to (if any)")
    gcp2_completed_on = GovDateField(
        "Graded Care Profile 2 completed on",
        [not_in_future, not_before(MIN_YEAR)],
        description="Only if a Graded Care Profile 2 assessment was completed with this family. For example, 3 11 2026",
    )
    photos_agreed = checkboxes(
        "Photos",
        {"yes": "The family agreed to photos"},
        hint="Ask the family before you take any. Photos are kept with this visit's record and shown wherever it is, "
        "including its PDF.",
    )

    def validate_visit_time(self, field):
        if field.data:
            try:
                dt.datetime.strptime(field.data.strip(), "%H:%M")
            except ValueError:
                raise ValidationError("Enter the time of the visit as a real time, like 14:30 or 2.30pm") from None

    required_when = (
        RequiredWhen("plan_category", "plan_status", ("cp",), "Select the Child Protection category", True),
    )

    def validate_plan_category(self, field):
        if field.data and field.data not in CP_CATEGORIES:
            raise ValidationError("Select a Child Protection category from the list")


class NoAccessForm(FlaskForm):
    attempted_on = GovDateField(
        "Date you tried to visit", [not_in_future, not_before(MIN_YEAR)], description="For example, 27 3 2026"
    )
    attempted_at = time_text("Time (optional)", hint="For example, 14:30 or 2.30pm")
    reason = choice("Why could you not get in?", NO_ACCESS_REASONS)
    next_steps = long_text(
        "What did you do next?",
        hint="For example, left a card, phoned the mother, told the manager, booked a visit for tomorrow.",
    )
    submit = submit("Record the visit")

    def validate_attempted_at(self, field):
        if field.data:
            try:
                dt.datetime.strptime(field.data.strip(), "%H:%M")
            except ValueError:
                raise ValidationError("Enter the time as a real time, like 14:30 or 2.30pm") from None


class PersonForm(Form):
    adult_id = HiddenField()  # someone already on the household's register of adults
    name = text("Name or description")
    present = choice("Here at this visit?", YES_NO)
    relationship = select("Relationship to the child", {"": "Choose", **RELATIONSHIPS})
    sex = select("Sex", {"": "Choose", **SEX})
    residence = select("Where do they live?", {"": "Choose", **RESIDENCE})
    cares_for_child = select("Cares for the child?", {"": "Choose", **YES_NO_UNKNOWN})
    parental_responsibility = select("Parental responsibility?", {"": "Choose", **YES_NO_UNKNOWN})

    def validate(self, extra_validators=None):
        if not (self.adult_id.data or "").isdigit():
            self.adult_id.data = ""
        ok = super().validate(extra_validators)
        # A spare row with only "Here at this visit?" answered is still an empty row.
        others = (
            self.relationship.data,
            self.sex.data,
            self.residence.data,
            self.cares_for_child.data,
            self.parental_responsibility.data,
        )
        if not (self.name.data or "").strip() and any(others):
            self.name.errors = [*self.name.errors, "Enter a name or description for this person"]
            ok = False
        return ok


class PeopleForm(SectionForm):
    people = FieldList(FormField(PersonForm), "Person", min_entries=1, max_entries=MAX_ROWS)
    absent_members = long_text(
        "Household members who were not present", hint="Include anyone who lives here or stays overnight but was out."
    )
    new_partner = choice(
        "Does a parent or carer have a new partner?",
        YES_NO_UNKNOWN,
        NeededToComplete("Select whether there is a new partner"),
    )
    father_involvement = long_text(
        "The child's father and other men in the child's life",
        NeededToComplete("Say what you know about the child's father and other men in the child's life"),
        hint=(
            "Who are they, when did you last see or speak to them, and what part do they play in caring for the child?"
        ),
    )

    def validate_people(self, field):
        here = [p for p in field.entries if (p.form.name.data or "").strip() and p.form.present.data == "yes"]
        if self.completing and not here:
            raise ValidationError("Enter at least one person who was present")

    def validate_for(self, completing: bool) -> bool:
        """Completing the section needs an answer for each person listed, on the register or
        added now: here or not. Only a Yes counts as seen."""
        ok = super().validate_for(completing)
        for entry in self.people.entries if completing else []:
            person = entry.form
            name = (person.name.data or "").strip()
            if name and not person.present.data:
                person.present.errors = [*person.present.errors, f"Select whether {name} was here at this visit"]
                ok = False
        return ok


class PhotoField(Field):
    """ "Add a photo" on a checklist item: a file chosen on the page (a multipart upload, no script
    needed), or the photo the tablet shrank, sent as a data: URL in an ordinary field so it can
    wait in the outbox. `data` is the photo as sent, `photo` the photo made again without metadata
    (services/photos.py); checked only when something was chosen, never an answer."""

    widget = GovFileInput()
    photo: photos.Prepared | None = None

    def process_formdata(self, valuelist):
        self.data, self.photo = None, None
        try:
            self.data = next((d for v in valuelist if (d := photos.received(v)) is not None), None)
        except photos.PhotoRefused as refused:
            raise ValueError(str(refused)) from None

    def _value(self):
        return ""

    def pre_validate(self, form):
        if self.data is not None:
            try:
                self.photo = photos.prepare(self.data)
            except photos.PhotoRefused as refused:
                raise ValidationError(str(refused)) from None


SAW_ALL = "I saw everything in this room for myself"


def _room_fields(definition: Definition) -> dict:
    fields = {}
    for room in definition.rooms:
        statuses = {**ROOM_STATUSES, ROOM_NOT_IN_HOME: ROOM_NOT_IN_HOME_LABEL} if room.may_be_absent else ROOM_STATUSES
        fields[f"status_{room.id}"] = choice(
            room.label, statuses, NeededToComplete(f"Select whether you saw this room: {room.label}")
        )
        fields[f"reason_{room.id}"] = text(f"{room.label}: why was it not seen?", max_length=500)
    return fields


def field_key(item_id: str) -> str:
    """Item ids contain dots; form field names must not."""
    return item_id.replace(".", "__")


def rooms_form(definition: Definition) -> type[SectionForm]:
    required_when = tuple(
        RequiredWhen(f"reason_{room.id}", f"status_{room.id}", ROOM_UNSEEN, f"{room.label}: say why it was not seen")
        for room in definition.rooms
    )
    return type("RoomsForm", (SectionForm,), {**_room_fields(definition), "required_when": required_when})


def domain_form(definition: Definition, domain_id: str) -> type[SectionForm]:
    """The form for one checklist domain: a grade, evidence source and comment per item."""
    domain = definition.domain(domain_id)
    grade_choices = {g.value: g.display for g in definition.grades}
    fields = {}
    for question in domain.questions:
        fields[f"answer_{field_key(question.id)}"] = choice(
            question.text,
            dict(question.answers),
            NeededToComplete(f"Answer the question: {question.text}"),
            hint=question.hint,
        )
    for item in domain.items:
        key = field_key(item.id)
        fields[f"grade_{key}"] = choice(
            item.text,
            grade_choices,
            NeededToComplete(f"Select a grade for {item.text.lower()}"),
            hint=f"{item.hint} Must be seen: {item.must_see}" if item.must_see else item.hint,
        )
        fields[f"source_{key}"] = choice(f"How do you know: {item.text}", EVIDENCE_SOURCES)
        fields[f"comment_{key}"] = long_text(f"Comment on {item.text.lower()}", max_length=2000)
        fields[f"photo_{key}"] = PhotoField(
            f"Add a photo: {item.text}",
            description=f"A JPEG, PNG or WebP, up to {photos.MAX_SIZE_TEXT}; up to {photos.PER_ITEM} of each item.",
        )
    # Never ticked when a page opens: it only speaks for the answers sent with it.
    fields["saw_all"] = checkboxes(
        "Seen for myself",
        {"yes": SAW_ALL},
        hint="Sets “How do you know” to Observed for every item you grade 1 to 5. You can still change each one.",
    )

    def validate(form, extra_validators=None):
        if "yes" in (form.saw_all.data or []):
            # Without the page's script (which sets them as the box is ticked): only items left
            # without a source, and only those graded 1 to 5, become Observed.
            for item in domain.items:
                key = field_key(item.id)
                if form[f"grade_{key}"].data in GRADED and not form[f"source_{key}"].data:
                    form[f"source_{key}"].data = OBSERVED
        form.saw_all.data = []
        return SectionForm.validate(form, extra_validators)

    required_when = tuple(
        RequiredWhen(
            f"source_{field_key(item.id)}",
            f"grade_{field_key(item.id)}",
            GRADED,
            f"Select how you know about {item.text.lower()}",
            completing_only=True,
        )
        for item in domain.items
    )
    return type(
        f"DomainForm_{domain_id}", (SectionForm,), {**fields, "validate": validate, "required_when": required_when}
    )


class VoiceForm(SectionForm):
    child_seen = choice("Was the child seen?", YES_NO, NeededToComplete("Select whether the child was seen"))
    child_seen_alone = choice(
        "Was the child seen alone?", SEEN_ALONE, NeededToComplete("Select whether the child was seen alone")
    )
    infant_seen_awake = choice(
        "If an infant, were they seen awake?", INFANT_AWAKE, NeededToComplete("Select whether an infant was seen awake")
    )
    child_voice = long_text(
        "The child's voice",
        NeededToComplete("Record the child's voice: their words, or what their behaviour told you"),
        hint="What the child said, or what their behaviour and presentation told you.",
    )
    parent_view = long_text(
        "Parent or carer's view", NeededToComplete("Record the parent or carer's view"), hint=FAMILY_SEES_HINT
    )
    shown_scores = choice(
        "Were the parent or carers shown the scores?",
        YES_NO,
        NeededToComplete("Select whether the parent or carers were shown the scores"),
    )
    parent_rating = choice(
        "The parent or carer's own rating of the home",
        {str(n): label for n, label in enumerate(("Good", "Adequate", "Some concern", "Serious", "Dangerous"), 1)},
        hint=f"Ask them to grade their home on the same scale, 1 Good to 5 Dangerous. {FAMILY_SEES_HINT}",
    )
    parent_agrees = choice("Do they agree with the assessment?", PARENT_AGREES, hint=FAMILY_SEES_HINT)
    family_copy_given_on = GovDateField(
        "Family copy given on",
        [not_in_future, not_before(MIN_YEAR)],
        description="The date the parent or carer was given the family copy, if they have been",
    )
    practitioner_notes = long_text("Practitioner-only notes", hint="Not shared with the family.")


class UnbornVoiceForm(VoiceForm):
    """A visit about an unborn baby alone (2026.4 on): there is no child to see or hear yet."""

    child_seen = None  # type: ignore[assignment]
    child_seen_alone = None  # type: ignore[assignment]
    infant_seen_awake = None  # type: ignore[assignment]
    child_voice = None


@dataclass(frozen=True)
class ChildOnVisit:
    """A child a visit covers, as the per-child questions need them (since 2026.4)."""

    id: int
    name: str
    unborn: bool


def children_voice_form(children: tuple[ChildOnVisit, ...]) -> type[SectionForm]:
    """The voice section of a visit made with 2026.4 on: for each child born, "Was <name> seen?"
    (awake, asleep, not seen with a reason) and their own voice; nothing is asked about an unborn
    baby. Asked first, before the parent's view."""
    fields: dict[str, Any] = {}
    for order, child in enumerate(c for c in children if not c.unborn):
        asked = {
            f"seen_{child.id}": choice(
                f"Was {child.name} seen?", CHILD_SEEN, NeededToComplete(f"Select whether {child.name} was seen")
            ),
            f"why_{child.id}": text(f"If {child.name} was not seen, why?", max_length=500),
            f"voice_{child.id}": long_text(
                f"{child.name}'s voice",
                NeededToComplete(
                    f"Record {child.name}'s voice: what {child.name} said, or what their behaviour told you"
                ),
                hint=f"What {child.name} said, or what {child.name}'s behaviour and presentation told you.",
            ),
        }
        for n, field in enumerate(asked.values()):
            field.creation_counter = -1000 + order * 10 + n  # before the parent's view, in this order
        fields |= asked
    if fields:  # asked of any child born, after the questions about each
        fields["child_seen_alone"] = VoiceForm.child_seen_alone
    required_when = tuple(
        RequiredWhen(f"why_{child.id}", f"seen_{child.id}", (CHILD_NOT_SEEN,), f"Say why {child.name} was not seen")
        for child in children
        if not child.unborn
    )
    return type("ChildrenVoiceForm", (UnbornVoiceForm,), {**fields, "required_when": required_when})


class ActionForm(Form):
    task = text("Action", max_length=500, hint=FAMILY_SEES_HINT)
    owner = text("Who will do it", max_length=200, hint=FAMILY_SEES_HINT)
    due_date = GovDateField("Due date", [not_before(MIN_YEAR)], description=FAMILY_SEES_HINT)
    status = select("Status", ACTION_STATUSES)
    referral = select("Referral", {"": "Not a referral", **REFERRALS})
    drop_reason = text(
        "Why it was dropped",
        hint="Only for a dropped action. An action not done carries forward to the next visit "
        "until it is done or dropped.",
        max_length=500,
    )
    carried_forward = HiddenField()

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.status.data == "dropped" and not (self.drop_reason.data or "").strip():
            self.drop_reason.errors = [*self.drop_reason.errors, "Say why the action was dropped"]
            ok = False
        if not (self.task.data or "").strip() and ((self.owner.data or "").strip() or self.due_date.data):
            self.task.errors = [*self.task.errors, "Enter the action, or clear its owner and due date"]
            ok = False
        return ok


class ActionsForm(SectionForm):
    strengths = long_text(
        "Strengths",
        NeededToComplete("Record the strengths you saw"),
        hint=f"{FAMILY_SEES_HINT} Write it for them, in plain words.",
    )
    worries = long_text(
        "Worries", NeededToComplete("Record your worries, or say there are none"), hint="Only your team sees this."
    )
    advice_given = checkboxes("Advice given", ADVICE, hint=FAMILY_SEES_HINT)
    actions = FieldList(FormField(ActionForm), "Action", min_entries=1, max_entries=MAX_ROWS)
    next_visit_date = GovDateField(
        "Next visit date",
        [NeededToComplete("Enter the date of the next visit"), not_before(MIN_YEAR)],
        description=FAMILY_SEES_HINT,
    )


_built: dict[tuple[str, frozenset[str] | None, str], type[SectionForm]] = {}
_voice_built: dict[tuple[ChildOnVisit, ...], type[SectionForm]] = {}


ROOM_PARTS = ("status", "reason")
ITEM_PARTS = ("grade", "source", "comment")
QUESTION_PARTS = ("answer",)
_NOT_ANSWERS = {"version", "save_key", "save", "save_later", "csrf_token"}
NOT_ANSWER_PREFIXES = ("photo_", "saw_all")  # what a domain section's form carries besides answers


# The fixed sections' forms, one class each; the rooms' and each checklist domain's are built from
# the definition, and the voice section's (since 2026.4) from the children on the visit.
FIXED_FORMS: dict[SectionKind, type[SectionForm]] = {
    SectionKind.VISIT: VisitForm,
    SectionKind.PEOPLE: PeopleForm,
    SectionKind.VOICE: VoiceForm,
    SectionKind.ACTIONS: ActionsForm,
}


def _kind(definition: Definition, section_id: str) -> SectionKind:
    section = section_of(definition, section_id)
    if section is None:
        raise KeyError(f"no section {section_id} in checklist {definition.version}")
    return section.kind


def form_data(definition: Definition, section_id: str, answers: dict[str, Any]) -> dict[str, Any]:
    """A section's plain answers (as services store them) shaped as its form's data."""
    kind = _kind(definition, section_id)
    if kind in FIXED_FORMS:
        return dict(answers)
    if kind == SectionKind.ROOMS:
        return {f"{part}_{room_id}": answer.get(part) for room_id, answer in answers.items() for part in ROOM_PARTS}
    return {
        f"{part}_{field_key(item_id)}": answer.get(part)
        for item_id, answer in answers.items()
        for part in (QUESTION_PARTS if "answer" in answer else ITEM_PARTS)
    }


def answers_of(definition: Definition, section_id: str, form: SectionForm) -> dict[str, Any]:
    """A section form's data as plain answers: rooms keyed by room id, grades by item id."""
    data = form.data
    kind = _kind(definition, section_id)
    if kind in FIXED_FORMS:
        return {k: v for k, v in data.items() if k not in _NOT_ANSWERS}
    if kind == SectionKind.ROOMS:
        return {room.id: {part: data[f"{part}_{room.id}"] for part in ROOM_PARTS} for room in definition.rooms}
    domain = definition.domain(section_id)
    return {
        **{q.id: {"answer": data[f"answer_{field_key(q.id)}"]} for q in domain.questions},
        **{item.id: {part: data[f"{part}_{field_key(item.id)}"] for part in ITEM_PARTS} for item in domain.items},
    }


def section_form(definition: Definition, section_id: str, children: tuple[ChildOnVisit, ...] = ()) -> type[SectionForm]:
    """The form class for a section; built once per checklist version and section (and, for the
    voice section since 2026.4, per set of children on the visit)."""
    kind = _kind(definition, section_id)
    if kind == SectionKind.VOICE and definition.weighs_evidence and children:
        if children not in _voice_built:
            _voice_built[children] = children_voice_form(children)
        return _voice_built[children]
    if kind == SectionKind.VOICE and definition.ages == {UNBORN}:
        return UnbornVoiceForm
    if kind in FIXED_FORMS:
        return FIXED_FORMS[kind]
    key = (definition.version, definition.ages, section_id)
    if key not in _built:
        _built[key] = rooms_form(definition) if kind == SectionKind.ROOMS else domain_form(definition, section_id)
    return _built[key]
