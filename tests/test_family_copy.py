"""The family copy, read as the parent reads it: the family's words for every area and grade, only
what the form marks "The family will see this", one source for what is going well and what needs
to change, this visit's actions only, the team's contact details, and a reading age of 9 or under."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import textstat
from pypdf import PdfReader

from heat.checklist.definition import BUILTIN_DIR, load_definitions
from heat.checklist.family import family_wording
from heat.checklist.vocabulary import FAMILY_SEES, FAMILY_SEES_HINT, GRADED
from heat.config import team_contacts
from tests import helpers
from tests.test_assessment_flow import definition

# Reading age = Flesch-Kincaid grade level + 5 (a US grade is about a UK age minus 5).
MAX_READING_AGE = 9

# Words typed in fields the family never sees; none may reach the copy.
NOT_FOR_THE_FAMILY = {
    "worries": "Possible man in the flat, SECRETWORRY.",
    "practitioner_notes": "SECRETNOTE Kayla let me in.",
    "child_voice": "SECRETVOICE",
    "father_involvement": "SECRETFATHER",
    "absent_members": "SECRETABSENT",
    "joint_visitor": "SECRETJOINT",
}


def pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.data)).pages)


@pytest.mark.parametrize("version", sorted(load_definitions(BUILTIN_DIR)))
def test_every_area_and_grade_of_every_version_has_family_wording(version):
    wording = family_wording()
    for domain in load_definitions(BUILTIN_DIR)[version].domains:
        assert domain.id in wording.areas, f"{version}: add family wording for area {domain.id!r} to family.toml"
    assert set(wording.grades) == set(GRADED)
    assert len(wording.scale.split(". ")) == 1  # the scale in one sentence


@pytest.fixture
def second_visit(app, team_world):
    """Two visits: the first agreed "Clear the stairs"; the second (carried forward that action)
    grades a 4 and a 3, agrees "Fit a stair gate", and fills every other field with marked words."""
    w, child, checklist = team_world["w"], team_world["child"], definition(app)
    first = helpers.start(w, child.id)
    helpers.complete(w, first, checklist, day=dt.date.today() - dt.timedelta(days=20))
    assert helpers.submit(w, first).status_code == 302
    assessment = helpers.start(w, child.id)
    html = w.get(helpers.section_url(assessment, "actions")).get_data(as_text=True)
    actions = {name: helpers.field_value(html, name) for name in ("actions-0-task", "actions-0-carried_forward")}
    assert actions == {"actions-0-task": "Clear the stairs", "actions-0-carried_forward": "yes"}
    items = [d.items[0] for d in checklist.domains if d.items][:2]
    grades = {items[0].id: "4", items[1].id: "3"}
    helpers.complete(w, assessment, checklist, grades=grades)
    visit = {**helpers.visit_data(), "joint_visitor": NOT_FOR_THE_FAMILY["joint_visitor"]}
    assert helpers.save(w, assessment, "visit", visit).status_code == 302
    people = {
        **helpers.people_data(),
        "absent_members": NOT_FOR_THE_FAMILY["absent_members"],
        "father_involvement": NOT_FOR_THE_FAMILY["father_involvement"],
    }
    assert helpers.save(w, assessment, "people", people).status_code == 302
    voice = {
        **helpers.voice_data(),
        **helpers.each_child_seen(w, assessment),
        "child_voice": NOT_FOR_THE_FAMILY["child_voice"],
        "practitioner_notes": NOT_FOR_THE_FAMILY["practitioner_notes"],
        "parent_view": "We are doing our best.",
        "parent_rating": "2",
        "parent_agrees": "partly",
    }
    assert helpers.save(w, assessment, "voice", voice).status_code == 302
    due = dt.date.today() + dt.timedelta(days=7)
    data = {
        **helpers.actions_data(),
        **actions,
        "actions-0-due_date": [str(due.day), str(due.month), str(due.year)],
        "actions-1-task": "Fit a stair gate",
        "actions-1-owner": "You",
        "actions-1-due_date": [str(due.day), str(due.month), str(due.year)],
        "actions-1-status": "open",
        "strengths": "You keep the baby's cot clean and safe.",
        "worries": NOT_FOR_THE_FAMILY["worries"],
    }
    assert helpers.save(w, assessment, "actions", data).status_code == 302
    assert helpers.submit(w, assessment).status_code == 302
    return assessment, items


def test_the_family_copy_is_in_the_familys_words_and_never_contradicts_itself(app, team_world, second_visit):
    assessment, items = second_visit
    app.config["HEAT_TEAM_CONTACTS"] = {"Riverside": "Riverside team. Phone 01632 960111."}
    try:
        text = pdf_text(team_world["w"].get(f"/assessments/{assessment}/family-copy.pdf"))
    finally:
        app.config["HEAT_TEAM_CONTACTS"] = {}
    wording = family_wording()
    checklist = definition(app)
    assert wording.scale in text
    to_change = text[text.index("What needs to change") : text.index("What we agreed")]
    going_well = text[text.index("What is going well") : text.index("What needs to change")]
    for item in items:
        area = wording.area(checklist.domain(item.domain_id))
        assert area in to_change and area not in going_well
    assert wording.grades["4"] in to_change and wording.grades["3"] in to_change
    assert "Nothing in your home needs to change" not in text
    for jargon in ("Some concern", "Serious", "Adequate", "3 Some", "4 Serious"):
        assert jargon not in text
    for domain in checklist.domains:
        assert domain.title not in text or domain.title == wording.area(domain)
    # What we agreed: this visit's action only, not the one carried forward from the last visit.
    agreed = text[text.index("What we agreed") : text.index("Next visit")]
    assert "Fit a stair gate" in agreed and "Clear the stairs" not in agreed
    assert "You keep the baby's cot clean and safe." in going_well
    assert "If you do not agree" in text and "Riverside team. Phone 01632 960111." in text


def test_nothing_from_a_field_the_family_does_not_see_reaches_the_copy(app, team_world, second_visit):
    assessment, _ = second_visit
    text = pdf_text(team_world["w"].get(f"/assessments/{assessment}/family-copy.pdf"))
    for field, words in NOT_FOR_THE_FAMILY.items():
        for word in words.replace(",", " ").replace(".", " ").split():
            if word.startswith("SECRET") or word in ("man", "Kayla"):
                assert word not in text, field
    for question in definition(app).questions:  # questions are meant for the worker
        assert question.text not in text
    assert "Team contact" not in text and "Riverside team. Ask your worker for our phone number." in text


def test_the_family_copy_reads_at_age_9_or_under(team_world, second_visit):
    assessment, _ = second_visit
    text = pdf_text(team_world["w"].get(f"/assessments/{assessment}/family-copy.pdf"))
    reading_age = textstat.flesch_kincaid_grade(text) + 5
    assert reading_age <= MAX_READING_AGE, reading_age


def test_the_form_marks_exactly_the_fields_the_family_sees(team_world):
    w = team_world["w"]
    assessment = helpers.start(w, team_world["child"].id)
    marked = set()
    for section in ("actions", "voice"):
        html = helpers.page(w.get(helpers.section_url(assessment, section)))
        for hint in html.select(".govuk-hint"):
            if FAMILY_SEES_HINT in hint.get_text():
                field = hint["id"].removesuffix("-hint")
                marked.add(field.split("-")[-1] if field.startswith("actions-") else field)
        worries = html.select_one("#worries-hint")
        assert worries is None or "Only your team sees this" in worries.get_text()
    assert marked == FAMILY_SEES


@pytest.mark.parametrize(
    "setting, expected",
    [
        ("", {}),
        ('{"North": "North team, 01632 960001"}', {"North": "North team, 01632 960001"}),
        ('{"*": "Call 01632 960000"}', {"*": "Call 01632 960000"}),
        ("North=01632", ValueError),
        ('["North"]', ValueError),
        ('{"North": 1632}', ValueError),
    ],
)
def test_team_contacts_setting(setting, expected):
    if expected is ValueError:
        with pytest.raises(ValueError, match="HEAT_TEAM_CONTACTS"):
            team_contacts(setting)
    else:
        assert team_contacts(setting) == expected
