"""Calibration cases: the case's details, its grades (built from the checklist, as a visit's are)
and publishing it."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import DataRequired, InputRequired, Optional

from forms.assessment import PhotoField, field_key
from forms.fields import NeededToComplete, choice, long_text, select, submit, text
from heat.checklist import Definition
from heat.checklist.vocabulary import AGES
from heat.services import photos
from heat.services.practice import PHOTOS_PER_CASE, CaseDetails


class PracticeCaseForm(FlaskForm):
    title = text("Title", NeededToComplete("Enter a title"), hint="For example: A flat with a new baby, winter")
    description = long_text(
        "Description of the home",
        NeededToComplete("Describe the home"),
        hint="What a practitioner would see, hear and be told on the visit, room by room. Invent every detail.",
        max_length=10000,
    )
    checklist_version = select("Checklist version", {}, InputRequired("Select a checklist version"))
    age_group = choice(
        "Age of the most vulnerable child in the home",
        AGES,
        InputRequired("Select the age of the most vulnerable child"),
        hint="The checklist asks the items for this age, as it would on a visit.",
    )
    submit = submit("Save practice case")

    def details(self) -> CaseDetails:
        return CaseDetails(
            self.title.data.strip(), self.description.data.strip(), self.checklist_version.data, self.age_group.data
        )


class PublishForm(FlaskForm):
    """The case page's buttons: Publish, and "Remove photo" on each photo of a draft."""

    remove_photo = IntegerField(validators=[Optional()])
    submit = submit("Publish practice case")


class PracticePhotoForm(FlaskForm):
    photo = PhotoField(
        "Photo",
        [DataRequired("Choose a photo")],
        description=f"A JPEG, PNG or WebP, up to {photos.MAX_SIZE_TEXT}; up to {PHOTOS_PER_CASE} photos for a case. "
        "Use only photos made for training: never a photo from a family’s visit.",
    )
    caption = text(
        "What the photo shows",
        NeededToComplete("Enter what the photo shows"),
        hint="Practitioners read this beside the photo, and screen readers read it in its place. "
        "For example: The baby’s cot in the parents’ bedroom",
        max_length=200,
    )
    submit = submit("Add photo")

    def prepared(self) -> photos.Prepared:
        """The photo made again without its metadata (once validated, one was chosen)."""
        assert self.photo.photo is not None
        return self.photo.photo


class GradesForm(FlaskForm):
    def grades(self) -> dict[str, str]:
        return {name.removeprefix("grade_").replace("__", "."): f.data for name, f in self._fields.items() if f.data}


def grades_form(definition: Definition, button: str) -> type[GradesForm]:
    """A grade for every item the case asks, with the same wording and choices as a visit."""
    grade_choices = {g.value: g.display for g in definition.grades}
    fields = {
        f"grade_{field_key(item.id)}": choice(
            item.text,
            grade_choices,
            NeededToComplete(f"Select a grade for {item.text.lower()}"),
            hint=item.hint,
        )
        for item in definition.items
    }
    return type("PracticeGradesForm", (GradesForm,), {**fields, "submit": submit(button)})
