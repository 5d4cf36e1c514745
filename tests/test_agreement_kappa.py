"""Quadratic-weighted kappa and its bootstrap interval (the pure core of grading agreement)."""

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from heat.checklist.agreement import GradePair, bootstrap_kappas, interval, quadratic_kappa, report


def test_hand_worked_example():
    """Five items graded by two practitioners at joint visits:

        first:  1 1 2 3 4
        second: 1 2 2 4 5

    Quadratic weights: a disagreement of d grades costs d squared.
    Observed cost: the pairs differ by 0, 1, 0, 1, 1, so sum of d^2 = 3.
    Expected cost if the two graded independently with the same spread of grades: every grade of
    the first against every grade of the second (25 combinations), divided by n = 5:
        first 1 vs 1,2,2,4,5: 0+1+1+9+16 = 27, and the other 1 again: 27
        first 2:              1+0+0+4+9  = 14
        first 3:              4+1+1+1+4  = 11
        first 4:              9+4+4+0+1  = 18
        total 97, expected cost 97 / 5 = 19.4
    kappa = 1 - observed / expected = 1 - 3 / 19.4 = 1 - 15/97 = 82/97 = 0.8454.
    """
    assert quadratic_kappa([1, 1, 2, 3, 4], [1, 2, 2, 4, 5]) == pytest.approx(82 / 97)


def test_the_scale_is_one_to_five_even_when_a_grade_is_never_given():
    """first 1 1 4, second 1 2 4: observed sum d^2 = 1, so 1/3 per item. Expected: first 1 vs
    1,2,4 = 0+1+9 = 10 (twice: 20), first 4 vs 1,2,4 = 9+4+0 = 13; 33 / 9 pairs = 11/3.
    kappa = 1 - (1/3) / (11/3) = 10/11. (Had grade 4 been treated as the next grade after 2, as
    scikit-learn does without the scale given, the answer would differ.)"""
    assert quadratic_kappa([1, 1, 4], [1, 2, 4]) == pytest.approx(10 / 11)
    assert cohen_kappa_score([1, 1, 4], [1, 2, 4], weights="quadratic") != pytest.approx(10 / 11)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ([], [], None),  # nothing graded by both
        ([2, 2, 2], [2, 2, 2], None),  # both always gave the same single grade: chance explains all
        ([2, 2], [3, 3], 0.0),  # never agree, no better than chance
        ([1, 2, 3, 4, 5], [1, 2, 3, 4, 5], 1.0),
        ([1, 2, 3, 4, 5], [5, 4, 3, 2, 1], -1.0),
    ],
)
def test_edges(first, second, expected):
    result = quadratic_kappa(first, second)
    assert result == (None if expected is None else pytest.approx(expected))


def test_the_vectorised_bootstrap_computes_the_same_kappa_as_scikit_learn():
    rng = np.random.default_rng(7)
    first = rng.integers(1, 6, size=40)
    second = np.clip(first + rng.integers(-2, 3, size=40), 1, 5)
    samples = rng.integers(0, 40, size=(50, 40))
    fast = bootstrap_kappas(first, second, samples)
    for row, value in zip(samples, fast, strict=True):
        assert value == pytest.approx(quadratic_kappa(list(first[row]), list(second[row])))


def test_interval_holds_the_figure_and_is_repeatable():
    first = [1, 1, 2, 3, 4, 2, 3, 3, 1, 5, 4, 2]
    second = [1, 2, 2, 4, 5, 2, 3, 2, 1, 4, 4, 3]
    low, high = interval(first, second)
    assert low < quadratic_kappa(first, second) < high <= 1
    assert interval(first, second) == (low, high)
    assert interval([3], [4]) is None


def test_report_lists_items_below_0_6_over_at_least_ten_pairs():
    def pairs(item, grades, count):
        return [GradePair(n, item, "sleep", "Ann", "Bea", a, b) for n, (a, b) in enumerate((grades * count)[:count])]

    poor = pairs("cot", [(1, 3), (3, 1), (2, 2), (4, 2)], 10)  # kappa well below 0.6
    poor_but_few = pairs("bedding", [(1, 3), (3, 1), (2, 2), (4, 2)], 9)
    good = pairs("room_temp", [(1, 1), (2, 2), (3, 3), (4, 5)], 12)
    result = report(poor + poor_but_few + good, {"room_temp": "Room temperature", "cot": "Cot"}, {"sleep": "Sleep"})
    assert [a.key for a in result.items] == ["room_temp", "cot", "bedding"]
    assert [a.key for a in result.to_review] == ["cot"]
    assert [(a.label, a.pairs) for a in result.areas] == [("Sleep", 31)]
    assert [(a.label, a.pairs) for a in result.practitioner_pairs] == [("Ann and Bea", 31)]
    assert result.as_dict()["grade_descriptions_to_review"][0]["pairs"] == 10
