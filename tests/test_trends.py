"""Cumulative-harm flags of ../shared/domain.md, one table row per rule and edge."""

from __future__ import annotations

import datetime as dt

import pytest

from heat.checklist import load_definitions
from heat.checklist.definition import TrendSettings
from heat.checklist.trends import VisitSummary, direction, flags, sleeping_place_seen

START = dt.date(2026, 1, 5)


def visits(*specs, gap_days=14):
    """Each spec: dict with optional mean, rating, grade (for item kitchen.food), plan, sleep_seen, not_done."""
    result = []
    for n, spec in enumerate(specs):
        result.append(
            VisitSummary(
                id=n + 1,
                date=START + dt.timedelta(days=gap_days * n),
                rating=spec.get("rating", "green"),
                mean=spec.get("mean", 2.0),
                grades={"kitchen.food": spec.get("grade", "2")},
                plan_status=spec.get("plan", "cin"),
                sleeping_place_seen=spec.get("sleep_seen", True),
                actions_not_done=spec.get("not_done", 0),
                item_labels={"kitchen.food": "Food for the child"},
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
            visits({"sleep_seen": False}, {"sleep_seen": False}),
            ["sleep_not_seen"],
            True,
        ),
        ("sleeping place not seen once", visits({"sleep_seen": False}, {}), [], None),
        (
            "worse after step-down from CP",
            visits({"plan": "cp", "mean": 2.0}, {"plan": "cin", "mean": 1.6}, {"plan": "cin", "mean": 1.9}),
            ["after_step_down"],
            True,
        ),
        (
            "worse rating after step-down even with a better mean",
            visits({"plan": "cp"}, {"plan": "cin", "mean": 2.0}, {"plan": "cin", "mean": 1.9, "rating": "amber"}),
            ["after_step_down"],
            True,
        ),
        (
            "no worse after step-down",
            visits({"plan": "cp", "mean": 2.0}, {"plan": "cin", "mean": 1.6}, {"plan": "cin", "mean": 1.6}),
            [],
            None,
        ),
        (
            "worse on CP is not a step-down flag",
            visits({"plan": "cp", "mean": 1.0}, {"plan": "cp", "mean": 1.6}),
            [],
            None,
        ),
        (
            "baseline is the first visit after the latest step-down",
            visits(
                {"plan": "cp", "mean": 3.0},
                {"plan": "cin", "mean": 1.0},
                {"plan": "cp", "mean": 1.0},
                {"plan": "cin", "mean": 1.2},
                {"plan": "cin", "mean": 1.1},
            ),
            [],
            None,
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
    ],
)
def test_direction_of_travel(history, expected):
    assert direction(history) == expected


def test_sleeping_place_seen_reads_the_room_and_the_sleep_items():
    definition = load_definitions()["2026.1"]
    grades = {i.id: "2" for i in definition.items}
    assert sleeping_place_seen(definition, grades, {"sleeping_place": "seen"})
    assert not sleeping_place_seen(definition, grades, {"sleeping_place": "refused"})
    all_ns = grades | {i.id: "NS" for i in definition.domain("sleep").items}
    assert not sleeping_place_seen(definition, all_ns, {"sleeping_place": "seen"})
