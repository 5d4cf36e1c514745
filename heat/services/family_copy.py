"""The family copy: what a parent or carer is given after a visit, in plain English. It is built
from an allow-list of the visit's fields, so practitioner-only notes, other agencies'
information, the checks on adults, flag wording and other people's details can never reach it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from forms.assessment import ADVICE
from heat.checklist.vocabulary import GRADED
from heat.models import ACTIONS_OUTSTANDING, PARENT_AGREES, REFERRALS, Assessment
from heat.services.checklists import definition_for


@dataclass(frozen=True)
class Step:
    what: str
    who: str | None
    by: dt.date | None


@dataclass(frozen=True)
class FamilyCopy:
    first_names: list[str]
    visit_date: dt.date | None
    going_well: list[str]  # the practitioner's strengths, then the areas graded 1 or 2
    strengths: str | None
    to_change: list[str]  # items graded 3 or worse, in words
    worries: str | None
    advice: list[str]
    actions: list[Step]
    next_visit: dt.date | None
    their_view: str | None
    their_rating: str | None
    they_agree: str | None


def family_copy(assessment: Assessment) -> FamilyCopy:
    definition = definition_for(assessment)
    grades = assessment.grade_map
    going_well, to_change = [], []
    answered = assessment.question_answers or {}
    for domain in definition.domains:
        values = [int(grades[i.id]) for i in domain.items if grades.get(i.id) in GRADED]
        concerns = [q for q in domain.questions if q.concern is not None and answered.get(q.id) == q.concern]
        if values and max(values) <= 2 and not concerns:
            going_well.append(domain.title)
        to_change += [f"{q.text} {q.answer_label(answered[q.id])}." for q in concerns]
        for item in domain.items:
            grade = grades.get(item.id)
            if grade in GRADED and int(grade) >= 3:
                to_change.append(f"{item.text}: {definition.grade(grade).display}")
    rating = assessment.parent_rating
    return FamilyCopy(
        first_names=[c.first_name or "your baby" for c in assessment.children],
        visit_date=assessment.visit_date,
        going_well=going_well,
        strengths=assessment.strengths,
        to_change=to_change,
        worries=assessment.worries,
        advice=[ADVICE[a] for a in assessment.advice_given or [] if a in ADVICE],
        actions=[
            Step(
                f"{a.task} (referral: {REFERRALS[a.referral]})" if a.referral in REFERRALS else a.task,
                a.owner,
                a.due_date,
            )
            for a in assessment.actions
            if a.status in ACTIONS_OUTSTANDING
        ],
        next_visit=assessment.next_visit_date,
        their_view=assessment.parent_view,
        their_rating=definition.grade(rating).display if rating in GRADED else None,
        they_agree=PARENT_AGREES.get(assessment.parent_agrees or ""),
    )
