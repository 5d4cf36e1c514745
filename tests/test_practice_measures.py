"""Practice quality measures on a fixed period (1 November 2026 to 31 January 2027, across
Christmas), each figure worked out by hand in the comments. Practitioner 1 (A) and 2 (B), team 10."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from heat.checklist.definition import load_definition
from heat.checklist.practice_quality import (
    MEASURES,
    ChildVisit,
    FlagAnswer,
    NoAccess,
    Period,
    Records,
    Request,
    Submission,
    Visit,
    measure_figures,
)
from heat.checklist.scoring import Answers
from heat.reports.charts import measure_svg

A, B, TEAM = 1, 2, 10
D, T = dt.date, dt.datetime
PERIOD = Period(D(2026, 11, 1), D(2027, 1, 31))
UNDER_1 = frozenset({"under_1"})
DEFINITION = load_definition(Path("heat/checklist/definitions/heat-2026.4.toml")).for_ages(UNDER_1)
SEEN = {"kitchen": "seen", "bathroom": "seen", "sleeping_place": "seen"}
FLAG = ("Discussed with the worker", "Plan changed", "Escalated", "No action needed")


def visit(id_, by, day, announced, seen, grades, rooms, sources) -> Visit:
    return Visit(id_, by, TEAM, day, announced, seen, DEFINITION, Answers(grades, rooms, sources, ages=UNDER_1))


RECORDS = Records(
    child_visits=[
        # 22 Dec to Fri 8 Jan: 23, 24, 29, 30, 31 Dec and 4 to 8 Jan = 10 working days (25, 28 Dec
        # and 1 Jan are bank holidays): on time for a plan of 10 (13 days, late, by weekdays alone).
        ChildVisit(1, A, TEAM, D(2027, 1, 8), D(2026, 12, 22), 10),
        # Mon 2 Nov to Fri 20 Nov: 14 working days: late.
        ChildVisit(2, B, TEAM, D(2026, 11, 20), D(2026, 11, 2), 10),
        ChildVisit(3, A, TEAM, D(2026, 11, 5), None, 10),  # a first visit: nothing to be on time for
        ChildVisit(4, B, TEAM, D(2026, 11, 10), D(2026, 10, 1), None),  # no plan frequency
        ChildVisit(5, A, TEAM, D(2026, 10, 30), D(2026, 10, 1), 10),  # before the period
    ],
    visits=[
        # Every must-see thing but the day sleep seen (10 of 11); of 7 safety-critical grades, 3 on
        # the carer's word; unannounced; one child awake, one asleep.
        visit(
            11,
            A,
            D(2026, 11, 10),
            False,
            ("awake", "asleep"),
            {
                "bathing.hot_water": "2",
                "bathing.never_alone": "3",
                "sleep.night": "2",
                "sleep.day": "NS",
                "sleep.mattress": "1",
                "sleep.position": "2",
                "sleep.sharing": "4",
                "safety.products": "1",
                "kitchen.food": "2",
            },
            SEEN,
            {
                "bathing.hot_water": "observed",
                "bathing.never_alone": "carer_said",
                "sleep.night": "carer_said",
                "sleep.mattress": "observed",
                "sleep.position": "observed",
                "sleep.sharing": "carer_said",
                "safety.products": "observed",
                "kitchen.food": "observed",
            },
        ),
        # The sleeping place refused: of 11 must-see things, the kitchen, the bathroom and the hot
        # water are seen (3); 1 safety-critical grade, observed; announced; the infant not awake.
        visit(
            12,
            B,
            D(2026, 12, 1),
            True,
            ("no",),
            {"bathing.hot_water": "1", "kitchen.food": "1"},
            {**SEEN, "sleeping_place": "refused"},
            {"bathing.hot_water": "observed", "kitchen.food": "observed"},
        ),
        # Nothing graded: none of the 11 seen; whether announced not recorded; the child awake.
        visit(13, A, D(2026, 12, 15), None, ("awake",), {}, {}, {}),
        visit(14, A, D(2026, 10, 15), False, ("awake",), {}, SEEN, {}),  # before the period
    ],
    submissions=[
        Submission(21, A, TEAM, "red", T(2026, 12, 24, 10), T(2026, 12, 24, 15)),  # 5 h, same day
        # Submitted on Christmas Day, decided on the next working day (29 Dec): 98 h, in time.
        Submission(22, B, TEAM, "red", T(2026, 12, 25, 9), T(2026, 12, 29, 11)),
        Submission(23, A, TEAM, "red", T(2026, 12, 24, 16), T(2026, 12, 29, 9)),  # 113 h: late
        Submission(24, B, TEAM, "amber", T(2026, 11, 2, 9), T(2026, 11, 2, 12)),  # 3 h
        Submission(25, A, TEAM, "red", T(2027, 1, 29, 10), None),  # Friday's Red still waiting: late
        Submission(26, B, TEAM, "red", T(2027, 1, 31, 10), None),  # Sunday's: due Monday, today
        Submission(27, A, TEAM, "amber", T(2026, 10, 30, 10), T(2026, 10, 30, 11)),  # before the period
    ],
    flag_answers=[
        FlagAnswer(21, A, TEAM, D(2026, 11, 3), "Discussed with the worker"),
        FlagAnswer(21, A, TEAM, D(2026, 12, 1), "Escalated"),
        FlagAnswer(22, B, TEAM, D(2026, 12, 2), "Discussed with the worker"),
        FlagAnswer(22, B, TEAM, D(2026, 10, 30), "No action needed"),  # before the period
    ],
    requests=[
        # Asked Mon 14 Dec: due 10 working days later, 30 Dec (over Christmas); came 31 Dec: overdue.
        Request(31, A, TEAM, D(2026, 12, 14), D(2026, 12, 31), None),
        Request(32, A, TEAM, D(2026, 11, 2), D(2026, 11, 16), None),  # due 16 Nov, came that day
        Request(33, B, TEAM, D(2027, 1, 20), None, None),  # due 3 Feb: after the period
        Request(34, B, TEAM, D(2026, 10, 19), None, None),  # due 2 Nov, never came: overdue
        Request(35, B, TEAM, D(2026, 11, 2), None, D(2026, 11, 5)),  # withdrawn before it was due
    ],
    no_access=[
        NoAccess(41, A, TEAM, D(2026, 11, 4), "Nobody answered"),
        NoAccess(42, A, TEAM, D(2026, 11, 20), "Refused entry"),
        NoAccess(43, B, TEAM, D(2027, 1, 5), "Nobody answered"),
        NoAccess(44, B, TEAM, D(2026, 10, 31), "Nobody answered"),  # before the period
    ],
    request_limit=10,
    now=T(2027, 2, 1, 10),
)
KINDS = {"flags_answered": FLAG}


@pytest.mark.parametrize(
    "measure, overall, practitioner_a, practitioner_b",
    [
        ("visits_on_time", "1 of 2 visits (50%)", "1 of 1 visits (100%)", "0 of 1 visits (0%)"),
        # 3, 5, 98, 113 hours: the median is (5 + 98) / 2.
        ("decision_time", "Median 51.5 hours over 4 decisions", "Median 59 hours over 2 decisions", None),
        ("reds_same_day", "2 of 4 Red visits (50%)", "1 of 3 Red visits (33.3%)", "1 of 1 Red visits (100%)"),
        ("unannounced", "1 of 2 visits (50%)", "1 of 1 visits (100%)", "0 of 1 visits (0%)"),
        ("seen_awake", "2 of 4 children (50%)", "2 of 3 children (66.7%)", "0 of 1 children (0%)"),
        ("must_see_seen", "13 of 33 rooms and items (39.4%)", "10 of 22 rooms and items (45.5%)", None),
        ("carer_word", "3 of 8 grades (37.5%)", "3 of 7 grades (42.9%)", "0 of 1 grades (0%)"),
        ("flags_answered", "3 answers: 2 Discussed with the worker, 1 Escalated", None, None),
        ("requests_overdue", "2 of 3 requests (66.7%)", "1 of 2 requests (50%)", "1 of 1 requests (100%)"),
        ("no_access", "3 attempts: 2 Nobody answered, 1 Refused entry", None, None),
    ],
)
def test_each_measure_over_the_fixed_period(measure, overall, practitioner_a, practitioner_b):
    figures = measure_figures(measure, RECORDS, PERIOD, KINDS)
    noun = figures.measure.noun
    assert figures.overall.words(noun) == overall
    assert figures.by_team[TEAM].words(noun) == overall
    if practitioner_a:
        assert figures.by_practitioner[A].words(noun) == practitioner_a
    if practitioner_b:
        assert figures.by_practitioner[B].words(noun) == practitioner_b


def test_figures_month_by_month_and_every_measure_in_order():
    on_time = measure_figures("visits_on_time", RECORDS, PERIOD)
    assert [(m.month, f.count, f.value) for m, f in on_time.by_month] == [(11, 1, 0.0), (12, 0, None), (1, 1, 100.0)]
    no_access = measure_figures("no_access", RECORDS, PERIOD)
    assert [f.value for _, f in no_access.by_month] == [2.0, 0.0, 1.0]
    assert measure_figures("decision_time", RECORDS, PERIOD).by_practitioner[B].median == 50.5
    assert list(MEASURES)[:3] == ["visits_on_time", "decision_time", "reds_same_day"] and len(MEASURES) == 10


def test_a_period_with_nothing_in_it_says_so():
    quiet = Period(D(2025, 1, 1), D(2025, 1, 31))
    figures = measure_figures("visits_on_time", RECORDS, quiet)
    assert figures.overall.words("visits") == "No visits"
    assert figures.by_team == {} and figures.overall.value is None


def test_a_red_decided_on_the_local_day_counts_even_after_midnight_utc():
    """Summer time: submitted at 08:00 UTC on Monday 1 June 2026, decided at 23:30 UTC, which is
    00:30 on Tuesday in England: not the same working day."""
    records = Records(
        submissions=[Submission(1, A, TEAM, "red", T(2026, 6, 1, 8), T(2026, 6, 1, 23, 30))], now=T(2026, 7, 1)
    )
    figures = measure_figures("reds_same_day", records, Period(D(2026, 6, 1), D(2026, 6, 30)))
    assert figures.overall.words("Red visits") == "0 of 1 Red visits (0%)"


def test_a_measure_chart_names_the_months_that_fit_and_draws_only_months_with_a_figure():
    three = measure_svg("Visits on time", [("Oct 2026", 50.0), ("Nov 2026", None), ("Dec 2026", 100.0)], "%", "c")
    assert three.count("2026</text>") == 3 and ">100%</text>" in three and ">0%</text>" in three
    assert three.count("<circle") == 2 and three.count("<polyline") == 1
    two_years = measure_svg("No-access attempts", [(f"Month {n}", float(n)) for n in range(25)], "", "c")
    assert two_years.count(">Month ") == 5  # every sixth month: 25 names would overlap
    assert ">40</text>" in two_years  # a round top above the largest count, 24
    empty = measure_svg("Reds decided the same working day", [("Oct 2026", None)], "%", "c")
    assert "Nothing to count in this period" in empty and "<circle" not in empty
