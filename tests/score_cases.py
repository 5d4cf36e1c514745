"""Invented answer sets for a checklist version, the same every run (seeded by the version)."""

from __future__ import annotations

import random


def answer_sets(definition, n: int, seed: str):
    rnd = random.Random(seed)
    # Mostly 1 to 3, now and then a 4, Not seen or Not applicable, rarely a 5: every rating occurs.
    grades_pool = ["1"] * 60 + ["2"] * 60 + ["3"] * 5 + ["4"] * 2 + ["NS"] * 2 + ["NA"] * 2 + ["5"]
    for _ in range(n):
        grades = {i.id: rnd.choice(grades_pool) for i in definition.items if rnd.random() > 0.02}
        rooms = {r.id: rnd.choice(["seen"] * 30 + ["not_seen", "refused"]) for r in definition.rooms}
        sources = {i: rnd.choice(["observed", "observed", "carer_said", "agency", None]) for i in grades}
        # Versions without yes/no questions draw nothing here, so their sets are as they always were.
        answers = {q.id: rnd.choice(["yes"] * 8 + ["no"]) for q in definition.questions}
        yield grades, rooms, sources, answers
