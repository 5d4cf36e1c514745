"""The one working-day calendar: Monday to Friday, less the bank holidays of England and Wales
(from the `holidays` library, which follows the published list). Visit frequencies, information
request limits and "decided the same working day" all count with it."""

from __future__ import annotations

import datetime as dt
from functools import cache, lru_cache

import holidays


@cache
def bank_holidays(year: int) -> frozenset[dt.date]:
    """England and Wales bank holidays in a year (Wales keeps England's)."""
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def add_working_days(day: dt.date, days: int) -> dt.date:
    """The date `days` working days after `day`."""
    while days > 0:
        day += dt.timedelta(days=1)
        days -= is_working_day(day)
    return day


def working_days_before(day: dt.date, days: int) -> dt.date:
    """The date `days` working days before `day`."""
    while days > 0:
        day -= dt.timedelta(days=1)
        days -= is_working_day(day)
    return day


@lru_cache(maxsize=1 << 16)
def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days after `start` up to and including `end` (0 when `end` is not later):
    the weekdays (5 in every full week, then those of the days left) less the bank holidays on a
    weekday. Worked out, not counted day by day, and remembered: Practice quality asks it of every
    visit, and a team's visits fall on the same few days."""
    if end <= start:
        return 0
    weeks, rest = divmod((end - start).days, 7)
    weekdays = 5 * weeks + sum(1 for n in range(1, rest + 1) if (start.weekday() + n) % 7 < 5)
    closed = sum(
        1
        for year in range(start.year, end.year + 1)
        for holiday in bank_holidays(year)
        if start < holiday <= end and holiday.weekday() < 5
    )
    return weekdays - closed


def working_day_on_or_after(day: dt.date) -> dt.date:
    """`day` itself when it is a working day, else the next working day."""
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day
