"""The checklist versions this app knows, loaded once at start-up, and scoring an assessment with
the version it was made with."""

from __future__ import annotations

from flask import Flask, current_app

from heat.checklist import Definition, Score, score
from heat.checklist.definition import BUILTIN_DIR, current_version, load_definitions
from heat.models import Assessment


def init_app(app: Flask) -> None:
    """Load every checklist version once, at start-up; a bad definition stops the app starting."""
    definitions = load_definitions(BUILTIN_DIR, *app.config.get("HEAT_CHECKLIST_DIRS", []))
    app.extensions["heat_definitions"] = definitions
    app.extensions["heat_current_version"] = current_version(definitions)


def definition_for(assessment: Assessment) -> Definition:
    definition: Definition = current_app.extensions["heat_definitions"][assessment.checklist_version]
    return definition


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
