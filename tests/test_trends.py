"""Cumulative-harm flags of ../shared/domain.md, one table row per rule and edge."""

from __future__ import annotations

import datetime as dt
from statistics import fmean

import pytest

from heat.checklist import load_definitions
from heat.checklist.definition import TrendSettings
from heat.checklist.scoring import score
from heat.checklist.trends import StepDown, VisitSummary, direction, flags, summarise

START = dt.date(2026, 1, 5)


DEFINITION = load_definitions()["2026.2"]
CP_TO_CIN = StepDown(START + dt.timedelta(days=14), "Child Protection plan", "Child in Need plan")


def visits(*specs, gap_days=14):
    """Each spec: dict with optional mean, rating, grade (for item kitchen.food), not_done, and
    unseen (room ids that must be seen and were not)."""
    labels = {r.id: r.label for r in DEFINITION.rooms}
    result = []
    for n, spec in enumerate(specs):
        result.append(
            VisitSummary(
                id=n + 1,
                date=START + dt.timedelta(days=gap_days * n),
                rating=spec.get("rating", "green"),
                mean=spec.get("mean", 2.0),
                grades={"kitchen.food": spec.get("grade", "2")},
                actions_not_done=spec.get("not_done", 0),
                item_labels={"kitchen.food": "Food for the child"},
                rooms_not_seen={room: labels[room] for room in spec.get("unseen", ())},
            )
        )
    return result


def rules(found):
    return sorted({f.rule for f in found})


@pytest.mark.parametrize(
    "case, history, expected, active",
    [
        ("nothing to see", visits({}, {}, {}), [], None),
        ("one visit", visits({"grade": "4"}), [], None),
        (
            "item at 3 three visits running",
            visits({"grade": "3"}, {"grade": "3"}, {"grade": "4"}),
            ["repeated_concern"],
            True,
        ),
        (
            "item at 3 only twice running",
            visits({"grade": "3"}, {"grade": "3"}, {"grade": "2"}, {"grade": "3"}),
            [],
            None,
        ),
        ("Not seen breaks a run", visits({"grade": "3"}, {"grade": "NS"}, {"grade": "3"}, {"grade": "3"}), [], None),
        (
            "an old run is shown but not active",
            visits({"grade": "3"}, {"grade": "3"}, {"grade": "3"}, {"grade": "1"}),
            ["repeated_concern"],
            False,
        ),
        (
            "mean worsening over three visits",
            visits({"mean": 1.5}, {"mean": 1.8}, {"mean": 2.1}),
            ["worsening_mean"],
            True,
        ),
        ("flat mean is not worsening", visits({"mean": 1.5}, {"mean": 1.5}, {"mean": 2.1}), [], None),
        (
            "two improve-then-slip cycles in six months",
            visits({"mean": 2.5}, {"mean": 2.0}, {"mean": 2.4}, {"mean": 1.9}, {"mean": 2.3}),
            ["improve_then_slip"],
            True,
        ),
        ("one cycle is not enough", visits({"mean": 2.5}, {"mean": 2.0}, {"mean": 2.4}, {"mean": 2.4}), [], None),
        (
            "cycles spread over more than six months",
            visits({"mean": 2.5}, {"mean": 2.0}, {"mean": 2.4}, {"mean": 1.9}, {"mean": 2.3}, gap_days=70),
            [],
            None,
        ),
        ("actions not done twice running", visits({"not_done": 1}, {"not_done": 2}), ["actions_not_done"], True),
        ("actions not done, then done, then not done", visits({"not_done": 1}, {}, {"not_done": 1}), [], None),
        (
            "sleeping place not seen twice running",
            visits({"unseen": ["sleeping_place"]}, {"unseen": ["sleeping_place"]}),
            ["room_not_seen"],
            True,
        ),
        ("sleeping place not seen once", visits({"unseen": ["sleeping_place"]}, {}), [], None),
        (
            "kitchen not seen twice running",
            visits({"unseen": ["kitchen"]}, {"unseen": ["kitchen", "bathroom"]}),
            ["room_not_seen"],
            True,
        ),
        (
            "Incomplete twice running",
            visits({"rating": "incomplete", "mean": None}, {"rating": "incomplete", "mean": None}),
            ["incomplete_visits"],
            True,
        ),
        (
            "Incomplete, then complete, then Incomplete",
            visits({"rating": "incomplete", "mean": None}, {}, {"rating": "incomplete", "mean": None}),
            [],
            None,
        ),
        (
            "an Incomplete visit inside a worsening run does not hide it",
            visits({"mean": 1.5}, {"mean": 1.8}, {"rating": "incomplete", "mean": None}, {"mean": 2.5}),
            ["worsening_mean"],
            True,
        ),
    ],
)
def test_flags(case, history, expected, active):
    found = flags(history)
    assert rules(found) == expected, case
    if active is not None:
        assert all(f.active is active for f in found), case


def test_flags_say_what_they_saw_and_name_the_visits():
    history = visits({"grade": "3"}, {"grade": "4"}, {"grade": "3"})
    (flag,) = flags(history)
    assert flag.title == "Food for the child: 3 or worse at 3 visits running"
    assert "5 Jan 2026" in flag.text and "2 Feb 2026" in flag.text
    assert flag.visit_ids == (1, 2, 3)


def test_thresholds_come_from_the_settings():
    history = visits({"grade": "3"}, {"grade": "3"})
    assert flags(history) == []
    assert rules(flags(history, TrendSettings(repeat_visits=2))) == ["repeated_concern"]


@pytest.mark.parametrize(
    "history, expected",
    [
        (visits({}), None),
        (visits({"mean": 2.0}, {"mean": 2.4}), "worse"),
        (visits({"mean": 2.4}, {"mean": 2.0}), "better"),
        (visits({"mean": 2.0}, {"mean": 2.0}), "same"),
        (visits({"rating": "green", "mean": 2.4}, {"rating": "red", "mean": 2.0}), "worse"),
        (visits({"rating": "red", "mean": 1.5}, {"rating": "amber", "mean": 2.0}), "better"),
        # Not seen is never better: Red, then a visit where the kitchen was not seen.
        (visits({"rating": "red", "mean": 2.6}, {"rating": "incomplete", "mean": None}), "incomplete"),
        # Only the latest two visits count: everything seen now, after a visit that was not.
        (visits({"rating": "incomplete", "mean": None}, {"rating": "green", "mean": 1.2}), "was_unseen"),
        (visits({"rating": "incomplete", "mean": None}, {"rating": "red", "mean": 2.8}), "worse"),
        (visits({"rating": "incomplete", "mean": None}, {"mean": 2.0}, {"mean": 2.4}), "worse"),
        (visits({"rating": "green", "mean": 1.2}, {"rating": "incomplete", "mean": None}), "incomplete"),
    ],
)
def test_direction_of_travel(history, expected):
    assert direction(history) == expected


def home(**changes):
    """A visit to a home with every item at 2 and every room seen, with changes by item or room id."""
    grades = {i.id: "2" for i in DEFINITION.items}
    rooms = {r.id: "seen" for r in DEFINITION.rooms}
    for key, value in changes.items():
        key = key.replace("__", ".")
        (rooms if key in rooms else grades)[key] = value
    return grades, rooms


def summary(grades, rooms, n=1):
    rating = score(DEFINITION, grades, rooms).rating
    return summarise(DEFINITION, id=n, date=START, rating=rating, grades=grades, rooms=rooms)


def test_a_room_kept_from_the_worker_never_lowers_the_average():
    kitchen = DEFINITION.domain("kitchen").items
    all_fours, _ = home(**{i.id.replace(".", "__"): "4" for i in kitchen})
    _, rooms = home()
    seen = summary(all_fours, rooms)
    assert seen.mean == 2.27  # the whole home, the kitchen at 4 throughout
    assert score(DEFINITION, all_fours, rooms).mean == 2.27

    hidden = dict(all_fours) | {i.id: "NS" for i in kitchen}
    _, kitchen_shut = home(kitchen="refused")
    assert round(fmean(int(g) for g in hidden.values() if g in "12345"), 2) == 2.0  # what a plain average says
    assert score(DEFINITION, hidden, kitchen_shut).mean is None
    not_seen = summary(hidden, kitchen_shut)
    assert not_seen.rating == "incomplete" and not_seen.mean is None
    assert not_seen.rooms_not_seen == {"kitchen": "Kitchen"}


def test_a_safety_critical_area_not_fully_seen_has_no_average_to_compare():
    grades, rooms = home(sleep__mattress="NS")
    visit = summary(grades, rooms)
    assert visit.rating == "green" and visit.mean is None
    grades, rooms = home(outside__water="NS")  # not safety-critical: the average stands
    assert summary(grades, rooms).mean == 2.0


def test_rooms_not_seen_read_the_room_and_its_items():
    grades, rooms = home(sleeping_place="refused")
    assert summary(grades, rooms).rooms_not_seen == {"sleeping_place": "Child's sleeping place (day and night)"}
    grades, rooms = home(**{i.id.replace(".", "__"): "NS" for i in DEFINITION.domain("sleep").items})
    assert set(summary(grades, rooms).rooms_not_seen) == {"sleeping_place"}
    grades, rooms = home()
    assert summary(grades, rooms).rooms_not_seen == {}


def test_new_flags_name_the_room_and_take_their_thresholds_from_the_definition():
    history = visits({"unseen": ["kitchen"]}, {"unseen": ["kitchen"]})
    (flag,) = flags(history, DEFINITION.trends)
    assert flag.title == "Kitchen: not seen at 2 visits running"
    assert flags(history, TrendSettings(room_visits=3)) == []
    incomplete = visits({"rating": "incomplete", "mean": None}, {"rating": "incomplete", "mean": None})
    assert "Incomplete at 2 visits running" in [f.title for f in flags(incomplete, DEFINITION.trends)]
    assert not [f for f in flags(incomplete, TrendSettings(incomplete_visits=3)) if f.rule == "incomplete_visits"]
    # 2026.1 called the room threshold sleep_visits; it still loads, and means the same.
    assert load_definitions()["2026.1"].trends.room_visits == 2


@pytest.mark.parametrize(
    "case, history, step_downs, expected",
    [
        (
            "worse after an agreed step-down",
            visits({"mean": 2.0}, {"mean": 1.6}, {"mean": 1.9}),
            [CP_TO_CIN],
            True,
        ),
        (
            "worse rating after a step-down even with a better mean",
            visits({}, {"mean": 2.0}, {"mean": 1.9, "rating": "amber"}),
            [CP_TO_CIN],
            True,
        ),
        ("no worse after the step-down", visits({"mean": 2.0}, {"mean": 1.6}, {"mean": 1.6}), [CP_TO_CIN], False),
        ("worse with no step-down", visits({"mean": 1.0}, {"mean": 1.6}), [], False),
        (
            "CIN to early help",
            visits({"mean": 2.0}, {"mean": 1.6}, {"mean": 1.9}),
            [StepDown(CP_TO_CIN.date, "Child in Need plan", "Early help")],
            True,
        ),
        (
            "CP to no plan",
            visits({"mean": 2.0}, {"mean": 1.6}, {"mean": 1.9}),
            [StepDown(CP_TO_CIN.date, "Child Protection plan", "No plan")],
            True,
        ),
        (
            "CP to early help",
            visits({"mean": 2.0}, {"mean": 1.6}, {"mean": 1.9}),
            [StepDown(CP_TO_CIN.date, "Child Protection plan", "Early help")],
            True,
        ),
        (
            "the baseline is the first visit after the latest step-down",
            visits({"mean": 3.0}, {"mean": 1.0}, {"mean": 1.0}, {"mean": 1.2}, {"mean": 1.1}),
            [CP_TO_CIN, StepDown(START + dt.timedelta(days=42), "Child in Need plan", "Early help")],
            False,
        ),
        (
            "a step-down after the latest visit has nothing to compare yet",
            visits({"mean": 1.0}, {"mean": 2.0}),
            [StepDown(START + dt.timedelta(days=100), "Child in Need plan", "No plan")],
            False,
        ),
    ],
)
def test_worse_since_stepping_down(case, history, step_downs, expected):
    found = [f for f in flags(history, step_downs=step_downs) if f.rule == "after_step_down"]
    assert bool(found) is expected, case
    if found:
        assert found[0].title == "Worse since stepping down"
        assert step_downs[-1].to_plan in found[0].text


def _settings_read(function) -> set[str]:
    """The TrendSettings fields a rule's function reads (attributes of its settings parameter)."""
    import ast
    import inspect
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    definition = tree.body[0]
    assert isinstance(definition, ast.FunctionDef)
    settings = next(
        a.arg for a in definition.args.args if a.annotation is not None and "TrendSettings" in ast.unparse(a.annotation)
    )
    return {
        n.attr
        for n in ast.walk(definition)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == settings
    }


def test_each_rule_is_registered_with_the_settings_it_reads_and_every_setting_is_read():
    """The registry beside each rule tells the truth: the settings a rule declares are the ones
    its function reads; every [trends] setting is read by a registered rule (or, for information
    requests, by the query that finds them overdue)."""
    from heat.checklist import trends

    for rule in trends.TREND_RULES.values():
        assert _settings_read(rule.check) == set(rule.reads), rule.name
    assert _settings_read(trends.adult_flags) == {key for keys in trends.ADULT_RULES.values() for key in keys}
    read = {key for rule in trends.TREND_RULES.values() for key in rule.reads}
    read |= {key for keys in trends.ADULT_RULES.values() for key in keys}
    read_in_sql = {"request_working_days"}  # heat/services/agencies.py: information requests overdue
    assert read | read_in_sql == trends.SETTINGS
    assert list(trends.TREND_RULES) == [
        "repeated_concern",
        "worsening_mean",
        "improve_then_slip",
        "actions_not_done",
        "room_not_seen",
        "incomplete_visits",
        "after_step_down",
        "told_on_word",
        "seen_only_asleep",
    ]
