"""The Practice quality page adds up counts stored on each visit when it is submitted, never its
grades: a visit submitted (and submitted again after changes) through the app gets its counts,
`flask practice counts` fills them for visits recorded before, and the page's figures equal the
measures worked out from scratch over every grade row, on several practitioners' visits and on
the demo data."""

from __future__ import annotations

import datetime as dt
from dataclasses import astuple

import pytest
from sqlalchemy import select, update

from heat.checklist.practice_quality import (
    TALLIED,
    MeasureFigures,
    Period,
    Records,
    Visit,
    VisitCounts,
    measure_figures,
)
from heat.checklist.scoring import Answers
from heat.extensions import db
from heat.models import RECORDED, Assessment, AuditEvent, Team, User
from heat.services import demo
from heat.services import practice_quality as practice_service
from tests import helpers
from tests.conftest import Factory, empty_database, renders_waiting, signed_in_client
from tests.test_assessment_flow import count, definition
from tests.test_practice_quality import named, recorded_visit, row, section

D = dt.date
TODAY = dt.date.today()
# Three months back, into three calendar months: the by-month figures are compared too.
DAYS = [TODAY - dt.timedelta(days=n) for n in (70, 40, 10)]
PERIOD = Period(TODAY - dt.timedelta(days=700), TODAY)
QUERY = {
    "date_from": PERIOD.start.strftime("%d %m %Y").split(),
    "date_to": PERIOD.end.strftime("%d %m %Y").split(),
}


def counts_of(app, visit_id: int) -> VisitCounts:
    with app.app_context():
        visit = db.session.get(Assessment, visit_id)
        return VisitCounts(*(getattr(visit, name) for name in VisitCounts.__dataclass_fields__))


def from_grade_rows(app, team_ids: list[int]) -> dict[str, MeasureFigures]:
    """The measures over the period worked out from scratch: every grade, room and child of every
    recorded visit of these teams, through the checklist core's own observations."""
    with app.app_context():
        visits = []
        for a in db.session.scalars(
            select(Assessment).where(
                Assessment.status.in_(RECORDED),
                Assessment.team_id.in_(team_ids),
                Assessment.visit_date.between(PERIOD.start, PERIOD.end),
            )
        ):
            checklist = app.extensions["heat_definitions"][a.checklist_version]
            ages = frozenset(a.ages) if checklist.weighs_evidence and a.ages else None
            checklist = checklist.for_ages(ages) if ages else checklist
            sources = {g.item_id: g.evidence_source for g in a.grades}
            seen = tuple(c["seen"] for c in (a.children_seen or {}).values()) or (a.infant_seen_awake or "",)
            answers = Answers(a.grade_map, a.room_map, sources, ages=ages)
            visits.append(Visit(a.id, a.created_by_id, a.team_id, a.visit_date, a.announced, seen, checklist, answers))
        return {m: measure_figures(m, Records(visits=visits), PERIOD) for m in TALLIED}


def page_figures(app, user: User) -> dict[str, MeasureFigures]:
    with app.test_request_context():
        quality = practice_service.practice_quality(db.session.get(User, user.id), None, PERIOD)
        return {m.measure.id: m for m in quality.measures if m.measure.id in TALLIED}


def assert_same(page: MeasureFigures, scratch: MeasureFigures) -> None:
    assert page.overall == scratch.overall, page.measure.id
    assert page.by_team == scratch.by_team, page.measure.id
    assert page.by_practitioner == scratch.by_practitioner, page.measure.id
    assert page.by_month == scratch.by_month, page.measure.id
    assert page.practitioner_teams == scratch.practitioner_teams, page.measure.id


@pytest.fixture(scope="class")
def shared_world(app):
    """North: Priya visits a baby on three days (every room and item seen; her second visit's
    sleeping place refused, so its sleep grades rest on the carer's word), Sam a baby and her
    brother of 3 together on one visit, Kim a toddler with the day sleep not seen. Other team:
    one visit."""
    make = Factory(app)
    try:
        with renders_waiting():  # its tests read no version's PDF
            north, other = make.team("North"), make.team("Other")
            priya = named(app, make.user("practitioner", north), "Priya Invented")
            sam = named(app, make.user("practitioner", north), "Sam Madeup")
            kim = named(app, make.user("practitioner", north), "Kim Notreal")
            boss = named(app, make.user("supervisor", north), "Sue Pervisor")
            olu = named(app, make.user("practitioner", other), "Olu Elsewhere")
            clients = {u.id: signed_in_client(app, u) for u in (priya, sam, kim, boss, olu)}
            baby, toddler = make.child(north), make.child(north, months=30)
            visits = {
                "first": recorded_visit(app, clients[priya.id], baby.id, DAYS[0]),
                "refused": recorded_visit(
                    app, clients[priya.id], baby.id, DAYS[1], rooms={"sleeping_place": "refused"}
                ),
            }
            recorded_visit(app, clients[priya.id], baby.id, DAYS[2])
            home = make.household(north)
            sister = make.child(north, first_name="Ada", household=home)
            brother = make.child(north, first_name="Ben", months=36, household=home)
            together = helpers.start(clients[sam.id], sister.id, children=[sister.id, brother.id])
            helpers.complete(clients[sam.id], together, definition(app), day=DAYS[1])
            assert helpers.submit(clients[sam.id], together).status_code == 302
            kims = helpers.start(clients[kim.id], toddler.id)
            helpers.complete(clients[kim.id], kims, definition(app), grades={"sleep.day": "NS"}, day=DAYS[2])
            assert helpers.submit(clients[kim.id], kims).status_code == 302
            recorded_visit(app, clients[olu.id], make.child(other).id, DAYS[0])
        yield {
            **visits,
            "together": together,
            "north": north.id,
            "other": other.id,
            "priya": priya,
            "boss": boss,
            "auditor": make.user("auditor"),
            "clients": clients,
        }
    finally:
        empty_database(app)


def safety_critical_for_a_baby(app) -> int:
    checklist = definition(app).for_ages(frozenset({"under_1"}))
    critical = {d.id for d in checklist.domains if d.safety_critical}
    return sum(1 for item in checklist.items if item.domain_id in critical)


class TestPracticeCounts:
    def test_a_visit_submitted_through_the_app_gets_its_counts(self, app, shared_world):
        critical = safety_critical_for_a_baby(app)
        # A baby: 3 rooms that must be seen and 8 must-see items, all seen; seen awake; every
        # safety-critical grade observed.
        assert counts_of(app, shared_world["first"]) == VisitCounts(1, 1, 11, 11, critical, 0)
        # The sleeping place refused: it and its must-see items not seen, its grades on the carer's word.
        refused = counts_of(app, shared_world["refused"])
        assert (refused.must_see_asked, refused.must_see_seen) == (11, 10)
        assert refused.critical_graded == critical and refused.critical_on_carer_word > 0
        # Two children on one visit, each seen awake.
        assert astuple(counts_of(app, shared_world["together"]))[:2] == (2, 2)

    def test_a_visit_submitted_again_after_changes_is_counted_again(self, app, shared_world):
        priya, boss = (
            shared_world["clients"][shared_world["priya"].id],
            shared_world["clients"][shared_world["boss"].id],
        )
        visit_id = shared_world["first"]
        before = counts_of(app, visit_id)
        assert (
            helpers.decide(boss, visit_id, "returned", "Please look at where the baby sleeps by day.").status_code
            == 302
        )
        checklist = definition(app)
        sleep = helpers.domain_data(checklist, "sleep", {"sleep.day": "NS"})
        assert helpers.save(priya, visit_id, "sleep", sleep, if_asked=True).status_code == 302
        assert helpers.submit(priya, visit_id).status_code == 302
        after = counts_of(app, visit_id)
        assert (after.must_see_asked, after.must_see_seen) == (11, 10)
        assert after.critical_graded == before.critical_graded - 1

    def test_the_page_figures_equal_the_measures_over_every_grade_row(self, app, shared_world):
        north, other = shared_world["north"], shared_world["other"]
        for user, teams in ((shared_world["boss"], [north]), (shared_world["auditor"], [north, other])):
            page, scratch = page_figures(app, user), from_grade_rows(app, teams)
            for measure in TALLIED:
                assert_same(page[measure], scratch[measure])
        scratch = from_grade_rows(app, [north])
        assert len(scratch["must_see_seen"].by_practitioner) == 3
        # And as the page shows them.
        html = signed_in_client(app, shared_world["boss"]).get("/practice", query_string=QUERY).get_data(as_text=True)
        with app.app_context():
            names = dict(db.session.execute(select(User.id, User.name)).tuples().all())
        for measure in TALLIED:
            figures = scratch[measure]
            for practitioner, figure in figures.by_practitioner.items():
                shown = row(section(html, measure), "By practitioner", names[practitioner])
                assert shown == figure.words(figures.measure.noun)

    def test_visits_with_no_counts_yet_are_still_counted_on_the_page(self, app, shared_world):
        # `flask practice counts` not run (or a restored backup, or a visit submitted by an older
        # instance): the page counts those visits from their grades, so its figures do not change.
        north, other = shared_world["north"], shared_world["other"]
        users = ((shared_world["boss"], [north]), (shared_world["auditor"], [north, other]))
        before = {user.id: page_figures(app, user) for user, _ in users}
        wiped = [shared_world["first"], shared_world["refused"], shared_world["together"]]
        with app.app_context():
            db.session.execute(
                update(Assessment)
                .where(Assessment.id.in_(wiped))
                .values(**dict.fromkeys(VisitCounts.__dataclass_fields__))
            )
            db.session.commit()
        try:
            assert all(counts_of(app, visit_id).must_see_asked is None for visit_id in wiped)
            for user, teams in users:
                page, scratch = page_figures(app, user), from_grade_rows(app, teams)
                for measure in TALLIED:
                    assert page[measure] == before[user.id][measure]
                    assert_same(page[measure], scratch[measure])
        finally:
            with app.app_context():
                while practice_service.fill_counts():
                    db.session.commit()
                db.session.commit()

    def test_visits_recorded_before_the_counts_are_counted_by_the_command(self, app, shared_world):
        with app.app_context():
            ids = list(db.session.scalars(select(Assessment.id)))
        stored = {visit_id: counts_of(app, visit_id) for visit_id in ids}
        with app.app_context():
            db.session.execute(update(Assessment).values(**dict.fromkeys(VisitCounts.__dataclass_fields__)))
            db.session.commit()
        runner = app.test_cli_runner()
        result = runner.invoke(args=["practice", "counts"])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == f"Counted {len(stored)} visits."
        assert {visit_id: counts_of(app, visit_id) for visit_id in stored} == stored
        assert count(app, AuditEvent, AuditEvent.action == "practice_counts_filled") == 1
        again = runner.invoke(args=["practice", "counts"])
        assert again.output.strip() == "Counted 0 visits."
        assert count(app, AuditEvent, AuditEvent.action == "practice_counts_filled") == 1


def test_the_demo_gets_its_counts_and_the_page_equals_the_grade_rows(app):
    with app.app_context():
        demo.load()
        db.session.commit()
        teams = list(db.session.scalars(select(Team.id)))
        supervisor = db.session.scalar(select(User).where(User.email == "north-supervisor@example.org"))
        auditor = db.session.scalar(select(User).where(User.email == "auditor@example.org"))
        uncounted = db.session.scalar(
            select(Assessment.id).where(Assessment.status.in_(RECORDED), Assessment.must_see_asked.is_(None))
        )
        assert uncounted is None
        db.session.expunge_all()
    north = supervisor.team_id
    for user, scope in ((supervisor, [north]), (auditor, teams)):
        page, scratch = page_figures(app, user), from_grade_rows(app, scope)
        assert scratch["must_see_seen"].overall.count > 0
        for measure in TALLIED:
            assert_same(page[measure], scratch[measure])
