"""Grading agreement across a team's joint visits (the figures: heat/checklist/agreement.py).

Only joint visits both practitioners have submitted count, and only items both graded 1-5."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from heat.checklist.agreement import AgreementReport, GradePair, report
from heat.checklist.vocabulary import GRADED, RECORDED
from heat.extensions import db
from heat.models import Assessment, JointGrading, Team
from heat.services.checklists import definition_for


def _joint_visits(team: Team | None) -> list[JointGrading]:
    """Both submitted, oldest visit first; every team's when `team` is None."""
    query = (
        select(JointGrading)
        .join(Assessment, Assessment.id == JointGrading.assessment_id)
        .where(JointGrading.submitted_at.is_not(None), Assessment.status.in_(RECORDED))
        .options(
            joinedload(JointGrading.second),
            joinedload(JointGrading.assessment).options(
                joinedload(Assessment.created_by), selectinload(Assessment.grades)
            ),
        )
        .order_by(Assessment.visit_date, Assessment.id)
    )
    if team is not None:
        query = query.where(Assessment.team_id == team.id)
    return list(db.session.scalars(query).unique())


def grade_pairs(team: Team | None) -> tuple[list[GradePair], dict[str, str], dict[str, str]]:
    """Every item graded 1-5 by both practitioners at the team's joint visits, with the items' and
    areas' words (of the newest checklist version that has them), in checklist order."""
    pairs: list[GradePair] = []
    items: dict[str, str] = {}
    areas: dict[str, str] = {}
    for joint in _joint_visits(team):
        visit = joint.assessment
        definition = definition_for(visit)
        first, second = visit.grade_map, joint.grade_map
        for domain in definition.domains:
            areas[domain.id] = domain.title
            for item in domain.items:
                items[item.id] = item.text
                a, b = first.get(item.id), second.get(item.id)
                if a in GRADED and b in GRADED:
                    pairs.append(
                        GradePair(
                            visit.id, item.id, domain.id, visit.created_by.name, joint.second.name, int(a), int(b)
                        )
                    )
    return pairs, items, areas


def agreement_report(team: Team | None) -> AgreementReport:
    pairs, items, areas = grade_pairs(team)
    return report(pairs, items, areas)
