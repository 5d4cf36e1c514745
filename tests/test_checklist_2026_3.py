"""Checklist 2026.3: grade descriptions, yes/no questions and the new items (earlier versions'
scores unchanged to the byte: see test_checklist_frozen.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from heat.checklist.definition import DefinitionError, load_definition, load_definitions
from heat.checklist.scoring import score
from tests import helpers
from tests.test_assessment_flow import definition

HERE = Path(__file__).parent
DEFINITIONS = load_definitions()
NEW = DEFINITIONS["2026.3"]


@pytest.fixture(autouse=True)
def new_assessments_use_2026_3(app, monkeypatch):
    """These tests are about 2026.3: new assessments use it, whatever version is newer."""
    monkeypatch.setitem(app.extensions, "heat_current_version", "2026.3")


def test_every_graded_item_says_what_1_3_and_5_look_like():
    for item in NEW.items:
        assert [grade for grade, _ in item.looks_like] == ["1", "3", "5"], item.id
        assert all(len(words) < 140 for _, words in item.looks_like), item.id


def test_yes_no_facts_are_questions_and_the_sleeping_place_item_is_gone():
    questions = {q.id: q for q in NEW.questions}
    assert set(questions) == {"safety.smoke_alarm", "safety.co_alarm", "carer.access"}
    assert all(q.concern == "no" for q in questions.values())
    items = {i.id for i in NEW.items}
    assert not items & {"sleep.seen", "safety.smoke_alarm", "carer.access"}
    assert {"sleep.night", "sleep.day", "sleep.away"} <= items
    for new in ("safety.smoking", "safety.gas", "safety.travel", "household.stability", "household.other_adults"):
        assert new in items, new


def test_a_question_answered_with_a_concern_keeps_the_visit_from_green():
    grades = {i.id: "1" for i in NEW.items}
    rooms = {r.id: "seen" for r in NEW.rooms}
    fine = {q.id: "yes" for q in NEW.questions}
    assert score(NEW, grades, rooms, answers=fine).rating == "green"
    result = score(NEW, grades, rooms, answers={**fine, "safety.smoke_alarm": "no"})
    assert result.rating == "amber"
    assert result.reasons[0].rule == "question_concern"
    assert result.reasons[0].findings[0].text == "Is there a working smoke alarm? No."


def test_a_definition_with_half_its_descriptions_or_a_bad_question_is_refused(tmp_path):
    text = (HERE.parent / "heat/checklist/definitions/heat-2026.3.toml").read_text()
    half = tmp_path / "half.toml"
    half.write_text(text.replace('looks_like = { 1 = "Fresh', 'unused = { 1 = "Fresh', 1))
    with pytest.raises(DefinitionError, match="either every item says what its grades look like, or none"):
        load_definition(half)
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('concern = "no"', 'concern = "maybe"', 1))
    with pytest.raises(DefinitionError, match="'concern' must be one of yes, no"):
        load_definition(bad)


def test_the_section_shows_what_each_grade_looks_like_and_asks_the_questions(app, team_world):
    w, child = team_world["w"], team_world["child"]
    assessment = helpers.start(w, child.id)
    page = helpers.page(w.get(helpers.section_url(assessment, "safety")).get_data(as_text=True))
    details = page.select("details.heat-looks-like")
    assert len(details) == len(NEW.domain("safety").items)
    assert "What each grade looks like" in details[0].get_text()
    assert "Smoking indoors or in the car with the baby" in page.get_text()
    legends = [legend.get_text(strip=True) for legend in page.select("legend")]
    assert "Is there a working smoke alarm?" in legends
    # Completing the section without answering the questions is refused, with a message.
    data = helpers.domain_data(definition(app), "safety")
    data.pop("answer_safety__smoke_alarm")
    refused = helpers.save(w, assessment, "safety", data)
    assert "Answer the question: Is there a working smoke alarm?" in refused.get_data(as_text=True)


@pytest.mark.pdf_renders
def test_a_visit_with_no_smoke_alarm_is_amber_and_says_why_in_page_and_pdf(app, team_world):
    w, child = team_world["w"], team_world["child"]
    assessment = helpers.start(w, child.id)
    helpers.complete(w, assessment, definition(app), grades={i.id: "1" for i in NEW.items})
    data = helpers.domain_data(definition(app), "safety", {i.id: "1" for i in NEW.items})
    data["answer_safety__smoke_alarm"] = "no"
    assert helpers.save(w, assessment, "safety", data).status_code == 302
    helpers.submit(w, assessment)
    result = w.get(f"/assessments/{assessment}").get_data(as_text=True)
    assert "Overall rating: Amber" in result and "Is there a working smoke alarm? No." in result
    pdf = w.get(f"/assessments/{assessment}/pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Is there a working smoke alarm?" in text
    assert "What each grade looks like" in text and "Smoking indoors or in the car with the baby" in text
    family = w.get(f"/assessments/{assessment}/family-copy.pdf")
    words = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(family.data)).pages).split())
    # The family's words for the area, never the worker's question.
    assert "What needs to change Things in the home that could hurt your child. We are worried" in words
    assert "Is there a working smoke alarm?" not in words
    assert "Safety hazards" not in words.split("What needs to change")[0]  # not listed as going well


def test_icon_advice_referrals_and_the_gcp2_date_are_recorded(app, team_world):
    w, child = team_world["w"], team_world["child"]
    assessment = helpers.start(w, child.id)
    helpers.complete(w, assessment, definition(app))
    visit = {**helpers.visit_data(), "gcp2_completed_on": ["2", "11", "2026"]}
    assert helpers.save(w, assessment, "visit", visit).status_code == 302
    actions = {
        **helpers.actions_data(),
        "advice_given": ["icon"],
        "actions-0-referral": "fire_service",
    }
    assert helpers.save(w, assessment, "actions", actions).status_code == 302
    helpers.submit(w, assessment)
    result = w.get(f"/assessments/{assessment}").get_data(as_text=True)
    assert "Graded Care Profile 2 completed on" in result and "2 November 2026" in result
    assert "referral: Fire service home safety check" in result
    section = w.get(helpers.section_url(helpers.start(w, child.id), "actions")).get_data(as_text=True)
    assert "Coping with crying (ICON)" in section
