"""The family copy: what a parent or carer is given after a visit, in plain English. It prints the
family's wording of each area and grade (`heat/checklist/family.toml`) and only the fields the
form marks "The family will see this" (`vocabulary.FAMILY_SEES`), so worries, practitioner-only notes,
other agencies' information, the checks on adults, flag wording, the questions meant for the
worker and other people's details can never reach it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app

from heat.checklist.family import family_wording
from heat.checklist.vocabulary import ACTIONS_OUTSTANDING, ADVICE, GRADED, PARENT_AGREES, REFERRALS
from heat.models import Assessment, Team
from heat.services.checklists import definition_for

# What every copy says the family can do if they disagree.
IF_YOU_DISAGREE = (
    "If you think something here is wrong, or you do not agree with it, tell your worker or call us. "
    "We will write down what you say and keep it with this record. "
    "If you are still not happy, ask us how to make a complaint."
)


@dataclass(frozen=True)
class Area:
    name: str  # the family's name for it: "How clean and tidy the home is"
    grade: str  # the family's words for its worst grade: "We are worried about this. ..."


@dataclass(frozen=True)
class Step:
    what: str
    who: str | None
    by: dt.date | None


@dataclass(frozen=True)
class FamilyCopy:
    first_names: list[str]
    visit_date: dt.date | None
    scale: str  # the grade scale in one sentence
    # One reading of each area's worst grade fills both lists, so they never contradict:
    # 1 or 2 is going well, 3 or worse needs to change; an area with nothing graded is in neither.
    going_well: list[Area]
    to_change: list[Area]
    strengths: str | None
    advice: list[str]
    actions: list[Step]  # agreed at this visit and still open; never those carried forward
    next_visit: dt.date | None
    their_view: str | None
    their_rating: str | None
    they_agree: str | None
    team: str
    contact: str | None
    if_you_disagree: str = IF_YOU_DISAGREE


def team_contact(team: Team) -> str | None:
    """The team's contact details for families, from `HEAT_TEAM_CONTACTS` (by team name; "*" for
    every other team)."""
    contacts: dict[str, str] = current_app.config.get("HEAT_TEAM_CONTACTS") or {}
    return contacts.get(team.name) or contacts.get("*")


def family_copy(assessment: Assessment) -> FamilyCopy:
    definition = definition_for(assessment)
    wording = family_wording()
    grades = assessment.grade_map
    going_well: list[Area] = []
    to_change: list[Area] = []
    answered = assessment.question_answers or {}
    for domain in definition.domains:
        values = [int(grades[i.id]) for i in domain.items if grades.get(i.id) in GRADED]
        # A yes/no answer that is a concern (no smoke alarm) puts its area among what needs to
        # change, in the family's words; the question itself is the worker's and is never printed.
        if any(q.concern is not None and answered.get(q.id) == q.concern for q in domain.questions):
            values.append(3)
        if values:
            worst = max(values)
            area = Area(wording.area(domain), wording.grades[str(worst)])
            (going_well if worst <= 2 else to_change).append(area)
    rating = assessment.parent_rating
    team = assessment.team
    return FamilyCopy(
        first_names=[c.first_name or "your baby" for c in assessment.children],
        visit_date=assessment.visit_date,
        scale=wording.scale,
        going_well=going_well,
        to_change=to_change,
        strengths=assessment.strengths,
        advice=[ADVICE[a] for a in assessment.advice_given or [] if a in ADVICE],
        actions=[
            Step(
                a.task
                if a.referral not in REFERRALS or REFERRALS[a.referral].lower() in a.task.lower()
                else f"{a.task} ({REFERRALS[a.referral]})",
                a.owner,
                a.due_date,
            )
            for a in assessment.actions
            if a.status in ACTIONS_OUTSTANDING and not a.carried_forward
        ],
        next_visit=assessment.next_visit_date,
        their_view=assessment.parent_view,
        their_rating=wording.grades[rating] if rating in GRADED else None,
        they_agree=PARENT_AGREES.get(assessment.parent_agrees or ""),
        team=team.name,
        contact=team_contact(team),
    )
