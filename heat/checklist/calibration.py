"""Calibration cases: a practitioner's grades of a written practice case set beside the reference
grades, and a team's spread. Plain grades in ("1" to "5", "NS", "NA"), plain figures out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from heat.checklist.agreement import quadratic_kappa
from heat.checklist.vocabulary import GRADED

# Fewer graded attempts than this and the spread would let a practitioner work out a colleague's
# grades (their own taken away from a spread of two is the other's): it is not shown.
MIN_SPREAD = 3


@dataclass(frozen=True)
class Agreement:
    """One person's grades against the reference, over the items the reference grades."""

    items: int
    matching: int  # the same grade, Not seen and Not applicable included
    within_one: int  # the same grade, or both graded 1-5 and one grade apart
    kappa: float | None  # quadratic-weighted, over the items both graded 1-5
    kappa_items: int


def within_one(first: str, second: str) -> bool:
    if first == second:
        return True
    return first in GRADED and second in GRADED and abs(int(first) - int(second)) == 1


def agreement(reference: Mapping[str, str], grades: Mapping[str, str]) -> Agreement:
    """How far `grades` agree with `reference`, item by item (items the reference leaves out are
    not counted; an item the person did not grade counts as not matching)."""
    pairs = [(grade, grades.get(item_id, "")) for item_id, grade in reference.items()]
    numeric = [(int(a), int(b)) for a, b in pairs if a in GRADED and b in GRADED]
    return Agreement(
        items=len(pairs),
        matching=sum(a == b for a, b in pairs),
        within_one=sum(within_one(a, b) for a, b in pairs),
        kappa=quadratic_kappa([a for a, _ in numeric], [b for _, b in numeric]),
        kappa_items=len(numeric),
    )


def spread(attempts: Iterable[Mapping[str, str]]) -> dict[str, Counter[str]]:
    """How many gave each grade, per item."""
    counts: dict[str, Counter[str]] = {}
    for grades in attempts:
        for item_id, grade in grades.items():
            counts.setdefault(item_id, Counter())[grade] += 1
    return counts
