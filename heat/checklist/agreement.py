"""Grading agreement: do two practitioners who grade the same home alike?

At a joint visit two practitioners grade the same home independently. Across joint visits,
agreement is quadratic-weighted Cohen's kappa on the 1-5 grade scale: 1 is perfect agreement,
0 is no better than chance, and a grade two steps apart costs four times one step apart.
Only items both practitioners graded 1-5 count (Not seen and Not applicable are not grades).

The figure (`quadratic_kappa`) is scikit-learn's; the bootstrap 95% interval resamples the pairs
of grades with NumPy, computing kappa for every resample at once by its equivalent moment form
(the tests check it against scikit-learn). Plain values in, plain values out.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

SCALE = (1, 2, 3, 4, 5)
# An item is listed under "Grade descriptions to review" below this kappa, over at least this many pairs.
REVIEW_BELOW = 0.6
REVIEW_MIN_PAIRS = 10
RESAMPLES = 2000
SEED = 24  # the interval is the same every time the same grades are summarised


def quadratic_kappa(first: Sequence[int], second: Sequence[int]) -> float | None:
    """Quadratic-weighted Cohen's kappa between two practitioners' grades (1-5) of the same items,
    pair by pair, on the whole 1-5 scale (a grade nobody gave still sits between its neighbours).
    None when it is undefined: no pairs, or both always gave the same single grade."""
    if len(first) != len(second):
        raise ValueError("each grade needs its pair")
    if not first:
        return None
    # scikit-learn takes seconds to import: only the pages and commands that work out kappa pay it.
    from sklearn.exceptions import UndefinedMetricWarning
    from sklearn.metrics import cohen_kappa_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        kappa = cohen_kappa_score(first, second, labels=list(SCALE), weights="quadratic")
    return None if np.isnan(kappa) else float(kappa)


def bootstrap_kappas(first: np.ndarray, second: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """Quadratic kappa of each resample (a row of `samples` indexes the pairs), by its moment form:
    1 - mean((a - b)^2) / (var(a) + var(b) + (mean(a) - mean(b))^2), the same figure as
    scikit-learn's on the 1-5 scale; NaN where it is undefined."""
    a = first[samples].astype(float)
    b = second[samples].astype(float)
    observed = ((a - b) ** 2).mean(axis=1)
    expected = a.var(axis=1) + b.var(axis=1) + (a.mean(axis=1) - b.mean(axis=1)) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected > 0, 1 - observed / expected, np.nan)


def interval(first: Sequence[int], second: Sequence[int]) -> tuple[float, float] | None:
    """The bootstrap 95% interval (percentile) of the quadratic kappa; None below two pairs or
    when no resample has a defined kappa."""
    if len(first) < 2:
        return None
    rng = np.random.default_rng(SEED)
    samples = rng.integers(0, len(first), size=(RESAMPLES, len(first)))
    kappas = bootstrap_kappas(np.asarray(first), np.asarray(second), samples)
    kappas = kappas[~np.isnan(kappas)]
    if kappas.size == 0:
        return None
    low, high = np.percentile(kappas, [2.5, 97.5])
    return float(low), float(high)


@dataclass(frozen=True)
class GradePair:
    """One item graded by both practitioners at one joint visit."""

    visit_id: int
    item_id: str
    area_id: str
    first_practitioner: str
    second_practitioner: str
    first_grade: int
    second_grade: int


@dataclass(frozen=True)
class Agreement:
    """Kappa over `pairs` pairs of grades, with its bootstrap 95% interval (None when undefined)."""

    key: str
    label: str
    pairs: int
    kappa: float | None
    low: float | None
    high: float | None

    @property
    def to_review(self) -> bool:
        return self.kappa is not None and self.kappa < REVIEW_BELOW and self.pairs >= REVIEW_MIN_PAIRS

    def as_dict(self) -> dict[str, object]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        return {
            "key": self.key,
            "label": self.label,
            "pairs": self.pairs,
            "kappa": rounded(self.kappa),
            "low": rounded(self.low),
            "high": rounded(self.high),
        }


def agreement(key: str, label: str, pairs: Sequence[GradePair]) -> Agreement:
    first = [p.first_grade for p in pairs]
    second = [p.second_grade for p in pairs]
    bounds = interval(first, second)
    return Agreement(
        key=key,
        label=label,
        pairs=len(pairs),
        kappa=quadratic_kappa(first, second),
        low=bounds[0] if bounds else None,
        high=bounds[1] if bounds else None,
    )


@dataclass(frozen=True)
class AgreementReport:
    visits: int
    overall: Agreement
    items: list[Agreement]
    areas: list[Agreement]
    practitioner_pairs: list[Agreement]

    @property
    def to_review(self) -> list[Agreement]:
        """Items whose grades two practitioners often read differently, least agreement first."""
        return sorted((a for a in self.items if a.to_review), key=lambda a: (a.kappa or 0.0, a.key))

    def as_dict(self) -> dict[str, object]:
        return {
            "joint_visits": self.visits,
            "overall": self.overall.as_dict(),
            "items": [a.as_dict() for a in self.items],
            "areas": [a.as_dict() for a in self.areas],
            "practitioner_pairs": [a.as_dict() for a in self.practitioner_pairs],
            "grade_descriptions_to_review": [a.as_dict() for a in self.to_review],
        }


def _grouped(pairs: Iterable[GradePair], key: str) -> dict[str, list[GradePair]]:
    groups: dict[str, list[GradePair]] = defaultdict(list)
    for pair in pairs:
        if key == "practitioners":
            group = " and ".join(sorted((pair.first_practitioner, pair.second_practitioner)))
        else:
            group = getattr(pair, key)
        groups[group].append(pair)
    return groups


def report(pairs: Sequence[GradePair], item_labels: dict[str, str], area_labels: dict[str, str]) -> AgreementReport:
    """Agreement over all the pairs, per item and per area (in the order of the labels given, the
    checklist's order) and per pair of practitioners (by name)."""
    items = _grouped(pairs, "item_id")
    areas = _grouped(pairs, "area_id")
    people = _grouped(pairs, "practitioners")

    def ordered(groups: dict[str, list[GradePair]], labels: dict[str, str]) -> list[Agreement]:
        order = {key: n for n, key in enumerate(labels)}
        keys = sorted(groups, key=lambda k: (order.get(k, len(order)), k))
        return [agreement(k, labels.get(k, k), groups[k]) for k in keys]

    return AgreementReport(
        visits=len({p.visit_id for p in pairs}),
        overall=agreement("all", "All items", pairs),
        items=ordered(items, item_labels),
        areas=ordered(areas, area_labels),
        practitioner_pairs=[agreement(k, k, people[k]) for k in sorted(people)],
    )
