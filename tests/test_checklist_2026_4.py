"""Checklist 2026.4: must-see items, how each item can be known, every grade described, ages, and
the rules over them, one table row per rule and edge case. Earlier versions keep their scores to
the byte (test_checklist_frozen.py)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from heat.checklist.definition import DefinitionError, load_definition, load_definitions
from heat.checklist.scoring import Answers, contradictions, score
from heat.checklist.trends import direction, flags, summarise
from heat.checklist.vocabulary import GRADED, age_group
from heat.extensions import db
from heat.models import Assessment, Child
from tests import helpers

HERE = Path(__file__).parent
DEFINITIONS = load_definitions()
NEW = DEFINITIONS["2026.4"]
TOML = (HERE.parent / "heat/checklist/definitions/heat-2026.4.toml").read_text()
BABY = frozenset({"under_1"})


def visit(ages=BABY, grades=None, sources=None, rooms=None, answers=None):
    """A visit where everything asked was seen and is fine, with the given changes."""
    asked = NEW.asked(ages, rooms)
    return {
        "grades": {i: "1" for i in asked} | (grades or {}),
        "rooms": {r.id: "seen" for r in NEW.rooms} | (rooms or {}),
        "sources": {i: "observed" for i in asked} | (sources or {}),
        "answers": {"safety.smoke_alarm": "yes", "safety.co_alarm": "yes", "household.housing": "secure"}
        | {"carer.all_rooms": "yes"}
        | (answers or {}),
        "ages": ages,
    }


def test_every_graded_item_describes_every_grade_in_a_line_each():
    for item in NEW.items:
        assert [grade for grade, _ in item.looks_like] == list(GRADED), item.id
        assert all(len(words) <= 100 for _, words in item.looks_like), item.id
        assert len({words for _, words in item.looks_like}) == 5, item.id
        # One thing each: a description never offers two alternatives joined by "or ... or".
        assert all(" or else " not in words for _, words in item.looks_like), item.id


def test_every_item_says_how_it_is_known_and_which_items_must_be_seen_say_why():
    assert {item.known_by for item in NEW.items} == {"observable", "told"}
    must = {item.id for item in NEW.items if item.must_see}
    assert {"sleep.night", "sleep.day", "sleep.sharing", "sleep.mattress", "bathing.never_alone"} <= must
    for item in NEW.items:
        if item.must_see:
            assert item.observable and 20 < len(item.must_see) < 120, item.id


@pytest.mark.parametrize(
    "item_id, grade, words",
    [
        ("bathing.never_alone", "5", "left in water, even with a bath seat"),
        ("safety.drugs_weapons", "5", "within the child's reach"),
        ("household.other_adults", "5", "will not name"),
        ("household.other_adults", "3", "named but not yet checked"),
        ("bathing.hot_water", "5", "scald"),
        ("bathing.supply", "5", "No hot water"),
        ("general.damp", "3", "one room"),
    ],
)
def test_severities_reviewed_against_the_seed(item_id, grade, words):
    assert words in NEW.item(item_id).description(grade)


def test_the_kind_of_home_is_recorded_never_graded_and_the_questions_are_reworded():
    housing = next(q for q in NEW.questions if q.id == "household.housing")
    assert housing.concern is None and "Supported accommodation" in dict(housing.answers).values()
    co = next(q for q in NEW.questions if q.id == "safety.co_alarm")
    assert dict(co.answers)["no_fuel"] == "No gas or solid-fuel appliances"
    rooms = next(q for q in NEW.questions if q.id == "carer.all_rooms")
    assert rooms.text == "Were you able to see every room?" and rooms.checks_rooms
    assert "carer.access" not in {q.id for q in NEW.questions}


@pytest.mark.parametrize(
    "ages, asked, not_asked",
    [
        ({"unborn"}, {"preparation.sleep_space", "preparation.antenatal", "general.smell"}, {"sleep.night"}),
        ({"under_1"}, {"sleep.night", "bathing.never_alone"}, {"preparation.car_seat", "school_age.online"}),
        ({"1_to_4"}, {"sleep.older_children", "bathing.never_alone"}, {"sleep.night", "sleep.sharing"}),
        ({"5_to_11"}, {"school_age.space", "school_age.homework", "school_age.food", "school_age.alone"}, set()),
        ({"12_plus"}, {"school_age.online"}, {"kitchen.bottles", "safety.gates_windows"}),
        ({"under_1", "5_to_11"}, {"sleep.night", "school_age.alone"}, {"preparation.feeding"}),
    ],
)
def test_a_visit_asks_an_item_when_any_child_on_it_is_of_its_ages(ages, asked, not_asked):
    got = NEW.asked(frozenset(ages))
    assert asked <= got and not (not_asked & got)


@pytest.mark.parametrize(
    "born, day, group",
    [
        (None, dt.date(2026, 12, 1), "unborn"),
        (dt.date(2026, 12, 2), dt.date(2026, 12, 1), "unborn"),
        (dt.date(2026, 8, 1), dt.date(2026, 12, 1), "under_1"),
        (dt.date(2025, 12, 1), dt.date(2026, 12, 1), "1_to_4"),
        (dt.date(2021, 12, 2), dt.date(2026, 12, 1), "1_to_4"),
        (dt.date(2021, 12, 1), dt.date(2026, 12, 1), "5_to_11"),
        (dt.date(2014, 12, 1), dt.date(2026, 12, 1), "12_plus"),
    ],
)
def test_age_groups(born, day, group):
    assert age_group(born, day) == group


@pytest.mark.parametrize(
    "case, changes, rating, finding",
    [
        ("everything seen and fine", {}, "green", None),
        (
            "where the baby sleeps at night Not seen",
            {"grades": {"sleep.night": "NS"}},
            "incomplete",
            "Not seen: Where the baby sleeps at night",
        ),
        (
            "a must-see item marked Not applicable is not seen",
            {"grades": {"bathing.never_alone": "NA"}},
            "incomplete",
            "Not seen: Never left in water",
        ),
        (
            "a must-see item left out is not seen",
            {"grades": {"sleep.mattress": None}},
            "incomplete",
            "Not seen: Mattress and bedding",
        ),
        ("a must-see item not asked at this age", {"ages": frozenset({"12_plus"})}, "green", None),
        (
            "an unborn baby's sleep space not seen",
            {"ages": frozenset({"unborn"}), "grades": {"preparation.sleep_space": "NS"}},
            "incomplete",
            "Not seen: Safe sleep space ready",
        ),
        (
            "an observable safety-critical item only on the carer's word",
            {"sources": {"sleep.night": "carer_said"}},
            "amber",
            "Where the baby sleeps at night: only the parent or carer's word. See it for yourself at the next visit.",
        ),
        ("a told item on the carer's word", {"sources": {"sleep.away": "carer_said"}}, "green", None),
        (
            "an observable item outside a safety-critical area",
            {"sources": {"general.smell": "carer_said"}},
            "green",
            None,
        ),
        ("another agency's word", {"sources": {"sleep.night": "agency"}}, "green", None),
        (
            "no carbon monoxide alarm",
            {"answers": {"safety.co_alarm": "no"}},
            "amber",
            "Is there a working carbon monoxide alarm? No.",
        ),
        ("no gas or solid fuel in the home", {"answers": {"safety.co_alarm": "no_fuel"}}, "green", None),
        ("supported accommodation by itself", {"answers": {"household.housing": "supported"}}, "green", None),
        ("garden not in this home", {"rooms": {"outside": "not_in_home"}}, "green", None),
        ("a garden not seen is no room that must be seen", {"rooms": {"outside": "not_seen"}}, "green", None),
        (
            "bathroom refused",
            {"rooms": {"bathroom": "refused"}},
            "incomplete",
            "Bathroom was not seen",
        ),
        ("a baby left in water", {"grades": {"bathing.never_alone": "5"}}, "red", None),
        ("an unknown adult at 4", {"grades": {"household.other_adults": "4"}}, "red", None),
        (
            "a child's bed at 4 is no longer safety-critical",
            {"ages": frozenset({"1_to_4"}), "grades": {"sleep.older_children": "4"}},
            "amber",
            None,
        ),
        (
            "half of the sleep area on the carer's word is Amber even where told",
            {"sources": {i: "carer_said" for i in ("sleep.away", "sleep.night", "sleep.day")}},
            "amber",
            None,
        ),
    ],
)
def test_scoring_2026_4(case, changes, rating, finding):
    ages = changes.get("ages", BABY)
    v = visit(ages, changes.get("grades"), changes.get("sources"), changes.get("rooms"), changes.get("answers"))
    v["grades"] = {k: g for k, g in v["grades"].items() if g is not None}
    result = score(NEW, **v)
    assert result.rating == rating, (case, result.reasons)
    if finding:
        texts = [f.text for reason in result.deciding_reasons for f in reason.findings]
        assert finding in texts, (case, texts)


def test_the_unseen_items_are_named_together_in_one_reason():
    result = score(NEW, **visit(grades={"sleep.night": "NS", "sleep.sharing": "NS", "bathing.never_alone": "NS"}))
    (reason,) = result.deciding_reasons
    assert [f.text for f in reason.findings] == [
        "Not seen: Never left in water",
        "Not seen: Where the baby sleeps at night",
        "Not seen: Sofa-sleeping and bed-sharing",
    ]


@pytest.mark.parametrize(
    "case, changes, problems",
    [
        ("all consistent", {}, []),
        (
            "graded as observed in a room refused",
            {"rooms": {"bathroom": "refused"}},
            ["Never left in water: the bathroom is recorded as refused, so it cannot be graded as observed."],
        ),
        (
            "graded on the carer's word in a room refused",
            {"rooms": {"kitchen": "refused"}, "answers": {"carer.all_rooms": "no"}, "all_from": "carer_said"},
            [],
        ),
        (
            "able to see every room: Yes, with a room refused",
            {"rooms": {"living_room": "refused"}},
            ["Were you able to see every room? You answered Yes, but Rooms records as not seen: Living room"],
        ),
        (
            "able to see every room: No, with every room seen",
            {"answers": {"carer.all_rooms": "no"}},
            ["Were you able to see every room? You answered No, but Rooms records every room as seen"],
        ),
        ("a garden not in this home does not count as unseen", {"rooms": {"outside": "not_in_home"}}, []),
    ],
)
def test_answers_that_contradict_each_other(case, changes, problems):
    v = visit(rooms=changes.get("rooms"), answers=changes.get("answers"))
    if "all_from" in changes:
        v["sources"] = dict.fromkeys(v["sources"], changes["all_from"])
    found = [f.text for f in contradictions(NEW, Answers(v["grades"], v["rooms"], v["sources"], v["answers"]))]
    for problem in problems:
        assert any(text.startswith(problem.rstrip(".")) for text in found), (case, found)
    assert bool(found) == bool(problems), (case, found)


START = dt.date(2026, 12, 1)


def history(*specs, definition=NEW):
    """Visits a fortnight apart, each spec (grades, sources, asleep) changing a fine visit."""
    result = []
    for n, (grades, sources, asleep) in enumerate(specs):
        v = visit(grades=grades, sources=sources)
        result.append(
            summarise(
                definition,
                id=n + 1,
                date=START + dt.timedelta(days=14 * n),
                rating=score(NEW, **v).rating,
                grades=v["grades"],
                rooms=v["rooms"],
                sources=v["sources"],
                ages=v["ages"],
                seen_only_asleep=frozenset(asleep),
            )
        )
    return result


SMOKING_3 = ({"safety.smoking": "3"}, {}, ())
SMOKING_2_SAID = ({"safety.smoking": "2"}, {"safety.smoking": "carer_said"}, ())
SMOKING_2_SEEN = ({"safety.smoking": "2"}, {}, ())
AWAY_SAID = ({}, {"sleep.away": "carer_said"}, ())
FINE = ({}, {}, ())
ASLEEP = ({}, {}, ("Lily Invented",))


@pytest.mark.parametrize(
    "case, specs, title, active",
    [
        (
            "a carer-said grade does not end a run of concern",
            (SMOKING_3, SMOKING_3, SMOKING_3, SMOKING_2_SAID),
            "Smoking in the home or near the baby: 3 or worse at 3 visits running",
            True,
        ),
        (
            "an observed better grade ends it",
            (SMOKING_3, SMOKING_3, SMOKING_3, SMOKING_2_SEEN),
            "Smoking in the home or near the baby: 3 or worse at 3 visits running",
            False,
        ),
        (
            "a carer-said grade does not count towards a run either",
            (SMOKING_3, SMOKING_2_SAID, SMOKING_3),
            None,
            None,
        ),
        (
            "a told item on the carer's word at 3 visits running",
            (AWAY_SAID, AWAY_SAID, AWAY_SAID),
            "Sleep away from home or out of routine: only the carer's word at 3 visits running",
            True,
        ),
        ("a told item on the carer's word twice", (AWAY_SAID, FINE, AWAY_SAID, AWAY_SAID), None, None),
        (
            "a baby seen only asleep at 2 visits running",
            (ASLEEP, ASLEEP),
            "Lily Invented: seen only asleep at 2 visits running",
            True,
        ),
        ("seen awake in between", (ASLEEP, FINE, ASLEEP), None, None),
    ],
)
def test_trend_rules_2026_4(case, specs, title, active):
    found = {f.title: f.active for f in flags(history(*specs), NEW.trends)}
    if title is None:
        assert not found, (case, found)
    else:
        assert found.get(title) is active, (case, found)


@pytest.mark.parametrize(
    "case, specs, expected",
    [
        ("better on what was seen", ((({"sleep.mattress": "3"}), {}, ()), FINE), "better"),
        (
            "better only on the carer's word against an observed grade",
            (({"kitchen.food": "3", "general.smell": "3"}, {}, ()), ({}, {"kitchen.food": "carer_said"}, ())),
            "same",
        ),
    ],
)
def test_direction_2026_4(case, specs, expected):
    assert direction(history(*specs)) == expected, case


def test_earlier_versions_ignore_the_carers_word_and_children_asleep_in_their_flags():
    old = DEFINITIONS["2026.3"]
    summary = summarise(
        old,
        id=1,
        date=START,
        rating="green",
        grades={"sleep.away": "1"},
        rooms={},
        sources={"sleep.away": "carer_said"},
        seen_only_asleep=frozenset({"Lily"}),
    )
    assert not summary.carer_word and not summary.told_on_word and not summary.seen_only_asleep


@pytest.mark.parametrize(
    "edit, message",
    [
        (('known_by = "told"', 'known_by = "heard"'), "'known_by' must be one of observable, told"),
        (('ages = ["unborn"]', 'ages = ["newborn"]'), "'ages' must list some of unborn"),
        (('  known_by = "told"\n', ""), "either every item says how it can be known"),
        (
            ('domain = "outside"\nmay_be_absent', 'domain = "outside"\nmust_be_seen = true\nmay_be_absent'),
            "cannot be absent",
        ),
        (('4 = "Smoking indoors in rooms the child does not use."\n', ""), "'looks_like' must describe grades"),
        (('concern = "no"\n  answers', 'concern = "maybe"\n  answers'), "'concern' must be one of yes, no, no_fuel"),
    ],
)
def test_a_malformed_2026_4_definition_is_refused(tmp_path, edit, message):
    old, new = edit
    assert old in TOML, old
    path = tmp_path / "bad.toml"
    path.write_text(TOML.replace(old, new, 1))
    with pytest.raises(DefinitionError, match=message.replace("(", r"\(")):
        load_definition(path)


# --- through the app -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def visits_start_on_2026_4(app, monkeypatch):
    """New visits start on 2026.4 here, whichever version is newer (a new version must not turn
    these tests into tests of itself)."""
    monkeypatch.setitem(app.extensions, "heat_current_version", "2026.4")


def baby_visit(app, w, child_id, grades=None, rooms=None, sources=None, answers=None):
    """A 2026.4 visit for one child, completed with every asked item graded 1 and observed."""
    from tests.test_assessment_flow import definition

    assert definition(app).version == "2026.4"
    assessment = helpers.start(w, child_id)
    with app.app_context():
        narrowed = NEW.for_ages(frozenset(db.session.get(Assessment, assessment).ages))
    helpers.complete(w, assessment, narrowed, grades={i.id: "1" for i in narrowed.items} | (grades or {}), rooms=rooms)
    for domain_id, changes in (sources or {}).items():
        data = helpers.domain_data(narrowed, domain_id, {i.id: "1" for i in narrowed.items} | (grades or {}))
        data.update(changes)
        assert helpers.save(w, assessment, domain_id, data).status_code == 302
    return assessment, narrowed


def result_of(w, assessment):
    helpers.submit(w, assessment)
    return w.get(f"/assessments/{assessment}").get_data(as_text=True)


def test_where_the_baby_sleeps_at_night_not_seen_is_incomplete(app, team_world):
    w, child = team_world["w"], team_world["child"]
    assessment, _ = baby_visit(app, w, child.id, grades={"sleep.night": "NS"})
    page = result_of(w, assessment)
    assert "Overall rating: Incomplete" in page and "Not seen: Where the baby sleeps at night" in page


def test_where_the_baby_sleeps_on_the_carers_word_alone_is_amber(app, team_world):
    w, child = team_world["w"], team_world["child"]
    assessment, _ = baby_visit(app, w, child.id, sources={"sleep": {"source_sleep__night": "carer_said"}})
    page = result_of(w, assessment)
    assert "Overall rating: Amber" in page
    assert "Where the baby sleeps at night: only the parent or carer&#39;s word. See it for yourself" in page


def test_able_to_see_every_room_yes_with_a_room_refused_is_refused_with_a_message(app, team_world):
    w, child = team_world["w"], team_world["child"]
    assessment, narrowed = baby_visit(app, w, child.id, rooms={"living_room": "refused"})
    data = helpers.domain_data(narrowed, "carer", {i.id: "1" for i in narrowed.items})
    data["answer_carer__all_rooms"] = "yes"
    refused = helpers.save(w, assessment, "carer", data)
    assert refused.status_code == 200
    summary = helpers.page(refused.get_data(as_text=True)).select_one(".govuk-error-summary")
    assert "You answered Yes, but Rooms records as not seen: Living room" in summary.get_text()


def test_an_item_of_a_refused_room_cannot_be_graded_as_observed(app, team_world):
    w, child = team_world["w"], team_world["child"]
    assessment, narrowed = baby_visit(app, w, child.id, rooms={"bathroom": "refused"})
    data = helpers.domain_data(narrowed, "bathing", {i.id: "1" for i in narrowed.items})  # all observed
    refused = helpers.save(w, assessment, "bathing", data)
    text = helpers.page(refused.get_data(as_text=True)).select_one(".govuk-error-summary").get_text()
    assert "Never left in water: the bathroom is recorded as refused, so it cannot be graded as observed" in text


def test_a_home_with_no_gas_appliances_is_never_amber_for_the_carbon_monoxide_alarm(app, team_world):
    w, child = team_world["w"], team_world["child"]
    assessment, narrowed = baby_visit(app, w, child.id)
    page = helpers.page(w.get(helpers.section_url(assessment, "safety")).get_data(as_text=True))
    assert "No gas or solid-fuel appliances" in page.get_text()
    data = helpers.domain_data(narrowed, "safety", {i.id: "1" for i in narrowed.items})
    data["answer_safety__co_alarm"] = "no_fuel"
    assert helpers.save(w, assessment, "safety", data).status_code == 302
    result = result_of(w, assessment)
    assert "Overall rating: Green" in result and "No gas or solid-fuel appliances" in result


def test_a_garden_not_in_this_home_never_appears_as_unseen(app, team_world):
    w, s, child = team_world["w"], team_world["s"], team_world["child"]
    assessment, _ = baby_visit(app, w, child.id, rooms={"outside": "not_in_home"})
    result = result_of(w, assessment)
    assert "Overall rating: Green" in result and "Garden or outside space: Not in this home" in result
    dashboard = helpers.page(s.get("/dashboard").get_data(as_text=True))
    cell = dashboard.select_one('td[data-label="Rooms never seen"]')
    assert cell.get_text(strip=True) == "None"


def test_a_three_year_old_alone_is_never_asked_infant_only_items(app, make, team_world):
    w = team_world["w"]
    toddler = make.child(team_world["team"], "Noah", "Invented", months=38)
    assessment = helpers.start(w, toddler.id)
    task_list = w.get(f"/assessments/{assessment}").get_data(as_text=True)
    infant_only = [i for i in NEW.items if i.ages == {"under_1"}]
    assert infant_only and not any(i.text in task_list for i in infant_only)
    assert ">Sleep<" not in task_list  # every Sleep item is for babies
    bathing = w.get(helpers.section_url(assessment, "bathing")).get_data(as_text=True)
    assert "Never left in water" in bathing and "Who baths the child" in bathing
    warmth = w.get(helpers.section_url(assessment, "warmth")).get_data(as_text=True)
    assert "A bed of their own" in warmth
    assert w.get(helpers.section_url(assessment, "sleep")).status_code == 404


def test_an_unborn_baby_gets_the_preparation_items_and_no_voice_question(app, make, team_world):
    w = team_world["w"]
    unborn = make.child(team_world["team"], "Baby", "Invented")
    with app.app_context():
        row = db.session.get(Child, unborn.id)
        row.expected_date_of_birth, row.date_of_birth = row.date_of_birth + dt.timedelta(days=400), None
        db.session.commit()
    assessment = helpers.start(w, unborn.id)
    preparation = w.get(helpers.section_url(assessment, "preparation")).get_data(as_text=True)
    for text in ("Safe sleep space ready", "Car seat for the journey home", "Feeding plan", "Antenatal care"):
        assert text in preparation
    assert "Safe-sleep plan agreed with both parents" in preparation
    voice = w.get(helpers.section_url(assessment, "voice")).get_data(as_text=True)
    assert "The child&#39;s voice" not in voice and "Parent or carer&#39;s view" in voice
    narrowed = NEW.for_ages(frozenset({"unborn"}))
    assert "school_age" not in {d.id for d in narrowed.domains}
    data = {k: v for k, v in helpers.voice_data().items() if not k.startswith("child") and k != "infant_seen_awake"}
    assert helpers.save(w, assessment, "voice", data).status_code == 302


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


@pytest.mark.pdf_renders
def test_the_assessment_pdf_prints_the_grade_given_and_the_guide_every_grade(app, team_world):
    w, child = team_world["w"], team_world["child"]
    assessment, _ = baby_visit(app, w, child.id, grades={"safety.smoking": "3"})
    helpers.submit(w, assessment)
    text = pdf_text(w.get(f"/assessments/{assessment}/pdf").data)
    smoking = NEW.item("safety.smoking")
    assert smoking.description("3") in text and smoking.description("5") not in text
    assert "What each grade looks like" not in text
    section = helpers.page(w.get(helpers.section_url(helpers.start(w, child.id), "safety")).get_data(as_text=True))
    link = section.find("a", string="Download the checklist guide")
    guide = w.get(link["href"])
    assert guide.mimetype == "application/pdf"
    words = pdf_text(guide.data)
    assert "Checklist guide" in words and "version 2026.4" in words
    for grade in GRADED:
        assert smoking.description(grade) in words
    assert "Must be seen: Most sudden infant deaths happen where the baby sleeps" in words
    assert w.get("/checklist/1999.9/guide.pdf").status_code == 404


def test_a_baby_seen_only_asleep_at_two_visits_running_is_flagged(app, team_world):
    w, child = team_world["w"], team_world["child"]
    for days_ago in (20, 6):
        assessment, _ = baby_visit(app, w, child.id)
        visit = helpers.visit_data(dt.date.today() - dt.timedelta(days=days_ago))
        assert helpers.save(w, assessment, "visit", visit).status_code == 302
        asleep = {**helpers.voice_data(), **helpers.each_child_seen(w, assessment, "asleep")}
        assert helpers.save(w, assessment, "voice", asleep).status_code == 302
        helpers.submit(w, assessment)
    page = w.get(f"/children/{child.id}").get_data(as_text=True)
    assert "Ivy: seen only asleep at 2 visits running" in page


def test_each_child_on_a_visit_is_seen_and_heard_in_their_own_right(app, make, team_world):
    w, team = team_world["w"], team_world["team"]
    household = make.household(team)
    lily = make.child(team, "Lily", "Invented", months=4, household=household)
    noah = make.child(team, "Noah", "Invented", months=38, household=household)
    assessment = helpers.start(w, lily.id, [lily.id, noah.id])
    voice = helpers.page(w.get(helpers.section_url(assessment, "voice")))
    legends = [legend.get_text(" ", strip=True) for legend in voice.select("legend")]
    assert "Was Lily seen?" in legends and "Was Noah seen?" in legends
    labels = [label.get_text(" ", strip=True) for label in voice.select("label")]
    assert "Lily's voice" in labels and "Noah's voice" in labels and "Seen asleep" in labels
    data = {
        **helpers.voice_data(),
        f"seen_{lily.id}": "asleep",
        f"voice_{lily.id}": "Asleep in her cot, breathing easily.",
        f"seen_{noah.id}": "not_seen",
    }
    refused = helpers.save(w, assessment, "voice", data)
    summary = helpers.page(refused).select_one(".govuk-error-summary").get_text(" ", strip=True)
    assert "Say why Noah was not seen" in summary and "Record Noah's voice" in summary
    data |= {f"why_{noah.id}": "At nursery.", f"voice_{noah.id}": "Nursery say he is happy and eating well."}
    assert helpers.save(w, assessment, "voice", data).status_code == 302
    with app.app_context():
        seen = db.session.get(Assessment, assessment).children_seen
    assert seen[str(lily.id)] | {} == {
        "name": "Lily",
        "age": "under_1",
        "seen": "asleep",
        "reason": None,
        "voice": "Asleep in her cot, breathing easily.",
    }
    assert seen[str(noah.id)]["reason"] == "At nursery." and seen[str(noah.id)]["age"] == "1_to_4"


def test_a_room_refused_after_its_sections_were_saved_stops_the_submission_with_a_message(app, team_world):
    """Each section refuses answers that contradict the Rooms section when it is saved; a Rooms
    answer changed afterwards is caught when the visit is submitted, and nothing is submitted."""
    w, child = team_world["w"], team_world["child"]
    assessment, narrowed = baby_visit(app, w, child.id)  # every room seen, every item observed
    assert helpers.save(w, assessment, "rooms", helpers.rooms_data(narrowed, bathroom="refused")).status_code == 302
    refused = helpers.submit(w, assessment)
    assert refused.status_code == 400
    summary = helpers.page(refused.get_data(as_text=True)).select_one(".govuk-error-summary")
    text = summary.get_text()
    assert "Some answers cannot all be true" in text
    # One line for the bathing items (each is named on the section when it is saved again).
    assert "items are graded as observed in a room recorded as not seen or refused" in text
    assert "You answered Yes, but Rooms records as not seen: Bathroom" in text
    assert summary.select_one(f"a[href='/assessments/{assessment}/sections/bathing']") is not None
    with app.app_context():
        assert db.session.get(Assessment, assessment).status == "draft"
