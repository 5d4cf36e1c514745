"""A page's cost, guarded without timing it: each main page runs as many SQL statements however
many visits, adults or rows it shows. A query per row (an N+1) makes the count grow with the rows,
so each test views the page, adds more of what it shows, and views it again: the counts must be
equal (not a fixed number, which any change to the page would break). Counted on a second view,
when the per-process caches of derived facts hold what the first view derived."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from heat.extensions import db
from heat.models import Assessment, Child, Team, User
from heat.services import adults, agencies, child_record, demo, no_access, register, reviews
from heat.services import assessments as svc
from tests import helpers
from tests.conftest import csrf_token, sign_in

TODAY = dt.date.today()


def client_for(app, email: str):
    client = app.test_client()
    assert sign_in(client, email, demo.DEMO_PASSWORD).status_code == 302
    client.token = csrf_token(client, "/caseload")
    return client


@pytest.fixture
def world(app):
    """The demo, with its busiest child (Mia Hughes: four visits, flags, a step-down, a move,
    an adult never seen) and the North team's worker and supervisor signed in."""
    with app.app_context():
        demo.load()
        db.session.commit()
        mia = db.session.scalar(select(Child).where(Child.first_name == "Mia"))
        # A visit waiting for the North supervisor (the demo has one in each team: which one an
        # unordered query returns differs between SQLite and PostgreSQL).
        waiting = db.session.scalar(
            select(Assessment.id)
            .where(Assessment.status == "submitted", Assessment.team_id == mia.team_id)
            .order_by(Assessment.id)
        )
        ids = {"mia": mia.id, "team": mia.team_id, "waiting": waiting}
    return {
        **ids,
        "w": client_for(app, "north-worker@example.org"),
        "s": client_for(app, "north-supervisor@example.org"),
    }


def statements(app, client, url: str) -> int:
    client.get(url)  # fills the caches of derived facts
    return helpers.statements(app, client, url)


def _people(users: dict[str, User]) -> tuple[User, User]:
    return users["north-worker@example.org"], users["north-supervisor@example.org"]


def more_history(app, child_id: int, n: int, start: int = 0) -> None:
    """`n` more of everything the child page and the review page show: recorded visits (each
    reviewed, its flags answered, and with a new adult seen at it), adults on the register,
    chronology entries, moves, handovers, information requests, meetings and plan changes (marked
    on the chart)."""
    with app.app_context():
        child = db.session.get(Child, child_id)
        users = {u.email: u for u in db.session.scalars(select(User))}
        worker, supervisor = _people(users)
        for i in range(start, start + n):
            day = TODAY - dt.timedelta(days=200 + 10 * i)  # before the demo's visits
            visit = demo.record_visit(worker, child, day, i % 3, "cin", key=f"more-{child_id}-{i}")
            answers = {f.key: ("discussed", "Talked through.") for f in reviews.flags_to_answer(visit)}
            reviews.record_decision(visit, supervisor, "agreed", "Agreed.", answers)
            adults.add_adult(
                child,
                worker,
                f"Invented adult {i}",
                adults.About("other_relative", None, "lives_here", "yes", "no"),
            )
            no_access.record(child, worker, day, None, "no_answer", f"Left a card {i}.")
            child_record.add_entry(child, worker, day, "out_of_area", f"Source {i}", f"Entry {i}.")
            register.move(worker, child, register.Address(f"{i} Invented Road", None, "Town", "ZZ9 9ZZ"), day)
            child_record.hand_over(child, worker, supervisor if i % 2 == 0 else worker, f"Handover {i}.")
            agency = agencies.add_agency(child, worker, f"Agency {i}", None, False, None, None)
            agencies.add_request(child, worker, agency, day, f"Request {i}.")
            agencies.add_meeting(child, worker, day, f"Core group {i}", [agency.id], None, None, None)
            child_record.change_plan(child, worker, "cp", ("neglect", "physical")[i % 2], day, f"Plan {i}.")
        db.session.commit()


def more_children(app, team_id: int, n: int, start: int = 0) -> None:
    """`n` more children in the team, each with a recorded visit."""
    with app.app_context():
        team = db.session.get(Team, team_id)
        worker, _ = _people({u.email: u for u in db.session.scalars(select(User))})
        for i in range(start, start + n):
            child = Child(
                reference=f"COST-{i}",
                first_name=f"Extra{i}",
                last_name="Hughes",
                date_of_birth=TODAY - dt.timedelta(days=400),
                team_id=team.id,
                plan_status="cin",
                allocated_worker=worker,
            )
            db.session.add(child)
            db.session.flush()
            demo.record_visit(worker, child, TODAY - dt.timedelta(days=20), i % 4, "cin", key=f"child-{i}")
        db.session.commit()


def draft_with_rows(app, child_id: int, n: int, key: str) -> int:
    """A draft for the child with `n` people present and `n` actions (the rows its section and
    check answers pages show)."""
    with app.app_context():
        child = db.session.get(Child, child_id)
        worker, _ = _people({u.email: u for u in db.session.scalars(select(User))})
        draft = svc.start(worker, [child], key)
        rows = {
            "people": {
                "people": [
                    {
                        "name": f"Person {i}",
                        "present": "yes",
                        "relationship": "other_relative",
                        "sex": "other",
                        "residence": "visiting",
                        "cares_for_child": "no",
                    }
                    for i in range(n)
                ],
                "absent_members": None,
                "new_partner": "no",
                "father_involvement": None,
            },
            "actions": {
                "strengths": "Warm.",
                "worries": "Clutter.",
                "advice_given": [],
                "actions": [
                    {"task": f"Task {i}", "owner": "Worker", "due_date": TODAY, "status": "open", "carried_forward": ""}
                    for i in range(n)
                ],
                "next_visit_date": TODAY + dt.timedelta(days=30),
            },
        }
        for section_id, answers in rows.items():
            svc.save_section(
                draft,
                worker,
                section_id,
                answers,
                completing=True,
                seen_version=svc.section_version(draft, section_id),
                save_key=f"{key}-{section_id}",
            )
        db.session.commit()
        return draft.id


def test_child_review_section_and_check_answers_statements_do_not_grow_with_what_they_show(app, world):
    small = draft_with_rows(app, world["mia"], 1, "cost-small")
    child, review = (world["w"], f"/children/{world['mia']}"), (world["s"], f"/assessments/{world['waiting']}/review")
    draft = ["sections/people", "sections/actions", "sections/kitchen", "check"]
    few = [statements(app, *child), statements(app, *review)]
    few += [statements(app, world["w"], f"/assessments/{small}/{p}") for p in draft]
    more_history(app, world["mia"], 2)
    large = draft_with_rows(app, world["mia"], 3, "cost-large")
    many = [statements(app, *child), statements(app, *review)]
    many += [statements(app, world["w"], f"/assessments/{large}/{p}") for p in draft]
    assert many == few


def test_caseload_and_dashboard_statements_do_not_grow_with_the_children(app, world):
    few = {page: statements(app, world["s"], page) for page in ("/caseload", "/dashboard")}
    more_children(app, world["team"], 2)
    assert {page: statements(app, world["s"], page) for page in few} == few


def more_practitioners(app, team_id: int, n: int, start: int = 0) -> None:
    """`n` more practitioners in the team, each with a visit to a child of their own in the last
    three months, decided by the supervisor with its flags answered."""
    with app.app_context():
        _, supervisor = _people({u.email: u for u in db.session.scalars(select(User))})
        for i in range(start, start + n):
            worker = User(
                email=f"cost-worker-{i}@example.org",
                name=f"Invented Worker {i}",
                role="practitioner",
                team_id=team_id,
                password_hash=supervisor.password_hash,
            )
            child = Child(
                reference=f"COST-P-{i}",
                first_name=f"Extra{i}",
                last_name="Walsh",
                date_of_birth=TODAY - dt.timedelta(days=300),
                team_id=team_id,
                plan_status="cp",
                allocated_worker=worker,
            )
            db.session.add_all([worker, child])
            db.session.flush()
            visit = demo.record_visit(worker, child, TODAY - dt.timedelta(days=15), i % 4, "cp", key=f"worker-{i}")
            answers = {f.key: ("discussed", "Talked through.") for f in reviews.flags_to_answer(visit)}
            reviews.record_decision(visit, supervisor, "agreed", "Agreed.", answers)
        db.session.commit()


def test_practice_quality_statements_do_not_grow_with_visits_or_practitioners(app, world):
    few = statements(app, world["s"], "/practice")
    more_children(app, world["team"], 2)
    more_practitioners(app, world["team"], 2)
    assert statements(app, world["s"], "/practice") == few
    assert "Invented Worker 1" in world["s"].get("/practice").get_data(as_text=True)  # counted on the page
