"""The one working-day calendar: weekends and England and Wales bank holidays are not working days."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heat.checklist.working_days import (
    add_working_days,
    is_working_day,
    working_day_on_or_after,
    working_days_before,
    working_days_between,
)

D = dt.date


@pytest.mark.parametrize(
    "day, working",
    [
        (D(2026, 12, 24), True),  # Christmas Eve, a Thursday
        (D(2026, 12, 25), False),  # Christmas Day
        (D(2026, 12, 26), False),  # Boxing Day, a Saturday
        (D(2026, 12, 28), False),  # Boxing Day observed on the Monday
        (D(2026, 12, 29), True),
        (D(2027, 1, 1), False),  # New Year's Day
        (D(2026, 4, 3), False),  # Good Friday
        (D(2026, 4, 6), False),  # Easter Monday
        (D(2026, 4, 7), True),
        (D(2026, 8, 31), False),  # the summer bank holiday in England and Wales (not Scotland's)
        (D(2026, 8, 3), True),  # Scotland's summer bank holiday is a working day here
        (D(2026, 3, 17), True),  # St Patrick's Day is Northern Ireland's, not ours
        (D(2026, 11, 7), False),  # a Saturday
    ],
)
def test_working_days_know_weekends_and_bank_holidays(day, working):
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    "start, days, expected",
    [
        # Thursday 24 December 2026 + 1: Friday 25th, Saturday, Sunday and Monday 28th are off.
        (D(2026, 12, 24), 1, D(2026, 12, 29)),
        # + 5 across Christmas and New Year: 29, 30, 31 December, then 4 and 5 January.
        (D(2026, 12, 24), 5, D(2027, 1, 5)),
        # Thursday before Easter 2026 + 1: Good Friday and Easter Monday are off.
        (D(2026, 4, 2), 1, D(2026, 4, 7)),
        # A Child Protection plan's 10 working days from Monday 30 March 2026 end on Wednesday 15 April.
        (D(2026, 3, 30), 10, D(2026, 4, 15)),
        (D(2026, 11, 2), 0, D(2026, 11, 2)),
    ],
)
def test_adding_working_days_skips_christmas_and_easter(start, days, expected):
    assert add_working_days(start, days) == expected
    assert working_days_between(start, expected) == days
    if days:
        assert working_days_before(expected, days) == working_days_before(add_working_days(start, days), days)
        assert working_days_before(expected, days) <= start


def test_counting_back_and_the_next_working_day():
    assert working_days_before(D(2026, 4, 7), 1) == D(2026, 4, 2)  # back over Easter
    assert working_days_before(D(2027, 1, 4), 3) == D(2026, 12, 29)  # back over New Year and Christmas
    assert working_day_on_or_after(D(2026, 12, 25)) == D(2026, 12, 29)
    assert working_day_on_or_after(D(2026, 12, 29)) == D(2026, 12, 29)
    assert working_days_between(D(2026, 12, 29), D(2026, 12, 24)) == 0


@settings(max_examples=300, deadline=None)
@given(st.dates(D(2024, 1, 1), D(2029, 12, 31)), st.integers(-3, 800))
def test_working_days_between_is_the_working_days_counted_one_by_one(start, days):
    end = start + dt.timedelta(days=days)
    one_by_one = sum(is_working_day(start + dt.timedelta(days=n)) for n in range(1, days + 1))
    assert working_days_between(start, end) == one_by_one
