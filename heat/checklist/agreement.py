"""How far two people's grades of the same items agree, beyond chance: quadratic-weighted Cohen's
kappa, from scikit-learn. Plain grades in, a number (or None) out."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

# The scale the weights are taken over: a 2 against a 5 is three grades apart even when nobody
# gave a 3 or a 4 (scikit-learn would otherwise number only the grades it saw).
SCALE = (1, 2, 3, 4, 5)


def quadratic_kappa(first: Sequence[int], second: Sequence[int]) -> float | None:
    """Cohen's kappa with quadratic weights over pairs of grades 1-5: 1 is full agreement, 0 no
    better than chance. None when it is undefined: no pairs, or every grade the same (chance
    agreement is then already complete)."""
    if len(first) != len(second):
        raise ValueError("kappa needs one grade from each person for every item")
    if not first:
        return None
    # scikit-learn takes about a second to import: only the pages that work out agreement pay for it.
    from sklearn.exceptions import UndefinedMetricWarning
    from sklearn.metrics import cohen_kappa_score

    with warnings.catch_warnings():
        # Undefined is an answer here (None), not a fault to warn about.
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        kappa = float(cohen_kappa_score(list(first), list(second), labels=list(SCALE), weights="quadratic"))
    return None if math.isnan(kappa) else kappa
