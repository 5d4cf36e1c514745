"""The checklist versions this app knows, loaded once at start-up, and scoring an assessment with
the version it was made with (and counting what the Practice quality measures count at it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from flask import Flask, current_app

from heat.checklist import Definition, Score, score
from heat.checklist.definition import BUILTIN_DIR, current_version, load_definitions
from heat.checklist.practice_quality import VisitCounts, how_seen, visit_counts
from heat.checklist.scoring import Answers
from heat.checklist.vocabulary import age_group
from heat.models import Assessment, Child


def init_app(app: Flask) -> None:
    """Load every checklist version once, at start-up; a bad definition stops the app starting."""
    definitions = load_definitions(BUILTIN_DIR, *app.config.get("HEAT_CHECKLIST_DIRS", []))
    app.extensions["heat_definitions"] = definitions
    app.extensions["heat_current_version"] = current_version(definitions)


def definition_for(assessment: Assessment) -> Definition:
    """The checklist an assessment was made with; since 2026.4, only the items asked for the ages
    of the children it covers."""
    definition: Definition = current_app.extensions["heat_definitions"][assessment.checklist_version]
    if definition.weighs_evidence and assessment.ages:
        return definition.for_ages(frozenset(assessment.ages))
    return definition


def ages_of(children: Iterable[Child], day: dt.date | None) -> list[str]:
    """The age groups of these children on the day of the visit (today until it is entered)."""
    return sorted({age_group(child.date_of_birth, day or dt.date.today()) for child in children})


def current_definition() -> Definition:
    return definition_for_version(current_app.extensions["heat_current_version"])


def definition_for_version(version: str) -> Definition:
    definition: Definition = current_app.extensions["heat_definitions"][version]
    return definition


def score_of(assessment: Assessment) -> Score:
    sources = {g.item_id: g.evidence_source for g in assessment.grades}
    return score(
        definition_for(assessment),
        assessment.grade_map,
        assessment.room_map,
        sources,
        assessment.question_answers or {},
    )


def asked_answers(
    version: str,
    ages: Iterable[str] | None,
    grades: Mapping[str, str],
    rooms: Mapping[str, str],
    sources: Mapping[str, str | None],
) -> tuple[Definition, Answers]:
    """A visit's checklist (since 2026.4, the items asked for the ages of its children) and its
    answers, from plain values: how the Practice quality measures read a visit."""
    definition = definition_for_version(version)
    asked = frozenset(ages) if definition.weighs_evidence and ages else None
    if asked is not None:
        definition = definition.for_ages(asked)
    return definition, Answers(grades, rooms, sources, ages=asked)


def practice_counts_of(assessment: Assessment) -> VisitCounts:
    """What the Practice quality measures count at this visit, from its grades, rooms and children."""
    definition, answers = asked_answers(
        assessment.checklist_version,
        assessment.ages,
        assessment.grade_map,
        assessment.room_map,
        {g.item_id: g.evidence_source for g in assessment.grades},
    )
    return visit_counts(definition, answers, how_seen(assessment.children_seen, assessment.infant_seen_awake))
