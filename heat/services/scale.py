"""A synthetic load for benchmarks: many teams, children and visits, every visit scored by the
real scoring code and every child's summary computed by the real trend rules. All invented."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import asdict
from typing import cast

from flask import current_app
from sqlalchemy import Table, insert, select, update

from heat.checklist import score, trends
from heat.checklist.practice_quality import how_seen, visit_counts
from heat.checklist.trends import VisitSummary
from heat.checklist.vocabulary import ROOM_NOT_SEEN, ROOM_SEEN
from heat.extensions import db
from heat.models import (
    Assessment,
    Child,
    ItemGrade,
    RoomCheck,
    Team,
    User,
    assessment_children,
)
from heat.services.checklists import asked_answers
from heat.services.passwords import hash_password
from heat.services.summaries import summary_values

FIRST = [
    "Amy",
    "Ben",
    "Cara",
    "Dev",
    "Ella",
    "Finn",
    "Gia",
    "Hari",
    "Isla",
    "Jay",
    "Kai",
    "Lola",
    "Milo",
    "Nia",
    "Omar",
    "Pia",
]
LAST = [
    "Abbot",
    "Brook",
    "Cole",
    "Dale",
    "Eden",
    "Frost",
    "Grove",
    "Hale",
    "Irons",
    "Jude",
    "Kemp",
    "Lowe",
    "Marsh",
    "Noble",
]
BATCH = 2000


def generate(
    *, teams: int, children: int, visits: int, long_history: int = 50, seed: int = 7, today: dt.date | None = None
) -> dict:
    """Insert the load into an empty database; returns ids useful to benchmarks. Commits."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    definitions = current_app.extensions["heat_definitions"]
    definition = definitions[current_app.extensions["heat_current_version"]]
    password = hash_password("scale-test-password")

    team_rows = [Team(name=f"Scale team {n + 1:03d}") for n in range(teams)]
    db.session.add_all(team_rows)
    db.session.flush()
    workers = []
    for team in team_rows:
        for role in ("practitioner", "supervisor"):
            workers.append(
                User(
                    email=f"{role}{team.id}@scale.example.org",
                    name=f"Scale {role} {team.id}",
                    role=role,
                    team_id=team.id,
                    password_hash=password,
                )
            )
    db.session.add(
        User(email="auditor@scale.example.org", name="Scale auditor", role="auditor", password_hash=password)
    )
    db.session.add_all(workers)
    db.session.flush()
    practitioner_of = {u.team_id: u.id for u in workers if u.role == "practitioner"}

    child_rows = []
    for n in range(children):
        team = team_rows[n % teams]
        plan = rng.choice(["cp", "cin", "cin", "early_help", "none"])
        child_rows.append(
            {
                "reference": f"S-{n + 1:06d}",
                "first_name": rng.choice(FIRST),
                "last_name": rng.choice(LAST),
                "date_of_birth": today - dt.timedelta(days=rng.randint(30, 365 * 6)),
                "team_id": team.id,
                "allocated_worker_id": practitioner_of[team.id],
                "plan_status": plan,
                "plan_category": "neglect" if plan == "cp" else None,
                "active_flags": [],
                "flag_count": 0,
                "rooms_never_seen": [],
            }
        )
    db.session.execute(insert(Child), child_rows)
    child_ids = list(db.session.scalars(select(Child.id).order_by(Child.id)))
    team_of: dict[int, int] = {cid: tid for cid, tid in db.session.execute(select(Child.id, Child.team_id))}

    # Spread the visits over the children; the first child gets a long history for the PDF benchmark.
    per_child = {cid: 0 for cid in child_ids}
    per_child[child_ids[0]] = long_history
    remaining = max(0, visits - long_history)
    for i in range(remaining):
        per_child[child_ids[1 + i % (len(child_ids) - 1)] if len(child_ids) > 1 else child_ids[0]] += 1

    next_id = (db.session.scalar(select(db.func.max(Assessment.id))) or 0) + 1
    summaries: dict[int, list[VisitSummary]] = {}
    assessment_rows: list[dict] = []
    grade_rows: list[dict] = []
    room_rows: list[dict] = []
    link_rows: list[dict] = []

    def flush():
        for table, rows in (
            (cast(Table, Assessment.__table__), assessment_rows),
            (assessment_children, link_rows),
            (cast(Table, ItemGrade.__table__), grade_rows),
            (cast(Table, RoomCheck.__table__), room_rows),
        ):
            if rows:
                db.session.execute(insert(table), rows)
                rows.clear()

    item_ids = [i.id for i in definition.items]
    for cid, count in per_child.items():
        drift = rng.uniform(-0.02, 0.06)
        base = rng.uniform(1.2, 2.4)
        for v in range(count):
            day = today - dt.timedelta(days=14 * (count - v))
            level = base + drift * v
            grades = {}
            for item_id in item_ids:
                g = min(5, max(1, round(rng.gauss(level, 0.7))))
                grades[item_id] = "NS" if rng.random() < 0.02 else str(g)
            rooms = {r.id: (ROOM_NOT_SEEN if rng.random() < 0.03 else ROOM_SEEN) for r in definition.rooms}
            result = score(definition, grades, rooms)
            sources = {k: "observed" if g != "NS" else None for k, g in grades.items()}
            asked, answers = asked_answers(definition.version, None, grades, rooms, sources)
            counts = visit_counts(asked, answers, how_seen(None, None))
            plan = "cp" if v < count // 3 else "cin"
            assessment_rows.append(
                {
                    "id": next_id,
                    "team_id": team_of[cid],
                    "created_by_id": practitioner_of[team_of[cid]],
                    "checklist_version": definition.version,
                    "status": "agreed" if v < count - 1 else "submitted",
                    "version": 2,
                    "start_key": f"scale-{next_id}",
                    "submission_key": f"scale-s-{next_id}",
                    "section_status": {},
                    "created_at": dt.datetime.combine(day, dt.time(10)),
                    "updated_at": dt.datetime.combine(day, dt.time(11)),
                    "submitted_at": dt.datetime.combine(day, dt.time(11)),
                    "visit_date": day,
                    "visit_time": dt.time(10, 30),
                    "announced": v % 2 == 0,
                    "visit_type": plan,
                    "plan_status": plan,
                    "advice_given": [],
                    "rating": result.rating,
                    "mean_grade": result.mean,
                    "worries": "Synthetic benchmark visit.",
                    "next_visit_date": day + dt.timedelta(days=14),
                    **asdict(counts),
                }
            )
            link_rows.append({"assessment_id": next_id, "child_id": cid})
            grade_rows.extend(
                {
                    "assessment_id": next_id,
                    "item_id": k,
                    "grade": g,
                    "evidence_source": sources[k],
                }
                for k, g in grades.items()
            )
            room_rows.extend(
                {"assessment_id": next_id, "room_id": k, "status": s, "reason": "Not shown" if s != ROOM_SEEN else None}
                for k, s in rooms.items()
            )
            summaries.setdefault(cid, []).append(
                trends.summarise(definition, id=next_id, date=day, rating=result.rating, grades=grades, rooms=rooms)
            )
            next_id += 1
            if len(grade_rows) >= BATCH * 20:
                flush()
    flush()

    plans: dict[int, str] = {cid: plan for cid, plan in db.session.execute(select(Child.id, Child.plan_status))}
    for cid, history in summaries.items():
        values = summary_values(history, trends.all_flags(history, definition.trends), plans[cid], definition.rooms)
        db.session.execute(update(Child).where(Child.id == cid).values(**values))
    db.session.commit()
    return {
        "long_history_child": child_ids[0],
        "team": team_rows[0].id,
        "supervisor": f"supervisor{team_rows[0].id}@scale.example.org",
    }
