"""The Practice quality page through the app, on the real database: who sees which figures, the
period form and its errors, each measure's CSV, the PDF, and the audit rows."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from heat.extensions import db
from heat.models import AuditEvent, User
from tests import helpers
from tests.conftest import Factory, empty_database, renders_waiting, signed_in_client
from tests.test_assessment_flow import count, definition

D = dt.date
PERIOD = {"date_from": ["1", "9", "2026"], "date_to": ["30", "11", "2026"]}


def named(app, user: User, name: str) -> User:
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(name=name))
        db.session.commit()
    return user


def recorded_visit(app, client, child_id: int, day: dt.date, rooms: dict | None = None) -> int:
    visit_id = helpers.start(client, child_id)
    helpers.complete(client, visit_id, definition(app), day=day, rooms=rooms)
    assert helpers.submit(client, visit_id).status_code == 302
    return visit_id


@pytest.fixture(scope="class")
def shared_world(app):
    """North: Priya visits one child on Tue 1 and Mon 14 September 2026 (9 working days apart, on
    time for a Child Protection plan's 10), Sam another child on 2 September, where the sleeping
    place was refused (its grades then on the carer's word); the supervisor decides
    Priya's second visit. Other team: one visit on 3 September. Every visit unannounced."""
    make = Factory(app)
    try:
        with renders_waiting():  # its tests read no version's PDF
            north, other = make.team("North"), make.team("Other")
            priya = named(app, make.user("practitioner", north), "Priya Invented")
            sam = named(app, make.user("practitioner", north), "Sam Madeup")
            boss = named(app, make.user("supervisor", north), "Sue Pervisor")
            elsewhere = named(app, make.user("practitioner", other), "Olu Elsewhere")
            clients = {u.id: signed_in_client(app, u) for u in (priya, sam, boss, elsewhere)}
            first, second = make.child(north), make.child(north)
            recorded_visit(app, clients[priya.id], first.id, D(2026, 9, 1))
            decided = recorded_visit(app, clients[priya.id], first.id, D(2026, 9, 14))
            recorded_visit(app, clients[sam.id], second.id, D(2026, 9, 2), rooms={"sleeping_place": "refused"})
            recorded_visit(app, clients[elsewhere.id], make.child(other).id, D(2026, 9, 3))
            answer = helpers.decide(clients[boss.id], decided, "agreed", "Seen the home; the plan stands.")
            assert answer.status_code == 302
        yield {
            "other": other.id,
            "priya": priya,
            "sam": sam,
            "boss": boss,
            "auditor": make.user("auditor"),
            "decided": decided,
        }
    finally:
        empty_database(app)


def section(html: str, measure: str):
    return helpers.page(html).select_one(f"section[aria-labelledby={measure}]")


def row(table_section, caption: str, who: str) -> str:
    for table in table_section.select("table"):
        if table.caption and table.caption.get_text(strip=True).startswith(caption):
            for tr in table.select("tbody tr"):
                if tr.th.get_text(strip=True) == who:
                    return tr.td.get_text(" ", strip=True)
    raise AssertionError(f"no row for {who} under {caption}")


class TestPracticeQuality:
    def test_a_supervisor_sees_their_team_and_each_practitioner(self, app, shared_world):
        client = signed_in_client(app, shared_world["boss"])
        before = count(app, AuditEvent, AuditEvent.action == "practice_viewed")
        html = client.get("/practice", query_string=PERIOD).get_data(as_text=True)
        assert count(app, AuditEvent, AuditEvent.action == "practice_viewed") == before + 1
        assert "From 1 September 2026 to 30 November 2026" in html
        on_time = section(html, "visits_on_time")
        assert "North team: 1 of 1 visits (100%)" in on_time.get_text(" ", strip=True)
        assert row(on_time, "By practitioner", "Priya Invented") == "1 of 1 visits (100%)"
        assert row(on_time, "By practitioner", "Sam Madeup") == "No visits"
        assert row(on_time, "By month", "September 2026") == "1 of 1 visits (100%)"
        assert row(on_time, "By month", "October 2026") == "No visits"
        unannounced = section(html, "unannounced")
        assert "North team: 3 of 3 visits (100%)" in unannounced.get_text(" ", strip=True)
        assert "Olu Elsewhere" not in html and "Other" not in helpers.page(html).select_one("main").get_text()
        # Babies: 3 rooms that must be seen and 8 must-see items at each visit; Sam's sleeping place refused.
        must_see = section(html, "must_see_seen")
        assert row(must_see, "By practitioner", "Priya Invented") == "22 of 22 rooms and items (100%)"
        assert row(must_see, "By practitioner", "Sam Madeup") == "10 of 11 rooms and items (90.9%)"
        assert row(section(html, "carer_word"), "By practitioner", "Priya Invented").startswith("0 of ")
        assert not row(section(html, "carer_word"), "By practitioner", "Sam Madeup").startswith("0 of ")
        # The visits were submitted today, after the period: decisions count by when they were submitted.
        assert "North team: No decisions" in section(html, "decision_time").get_text(" ", strip=True)
        assert on_time.select_one("svg title").get_text() == "Visits on time"
        assert len(helpers.page(html).select("section.heat-practice-measure svg")) == 10
        # Another team's id in the address changes nothing: a supervisor sees their own team.
        elsewhere = client.get("/practice", query_string={**PERIOD, "team": shared_world["other"]})
        assert "North team: 3 of 3 visits (100%)" in section(elsewhere.get_data(as_text=True), "unannounced").get_text(
            " ", strip=True
        )
        nav = helpers.page(html).select_one(".govuk-service-navigation")
        assert "Practice quality" in nav.get_text()

    def test_a_practitioner_sees_their_own_figures_only(self, app, shared_world):
        html = signed_in_client(app, shared_world["sam"]).get("/practice", query_string=PERIOD).get_data(as_text=True)
        assert "Your figure: No visits" in section(html, "visits_on_time").get_text(" ", strip=True)
        assert "Your figure: 1 of 1 visits (100%)" in section(html, "unannounced").get_text(" ", strip=True)
        assert "Priya Invented" not in html and "By practitioner" not in html and "North team:" not in html

    def test_an_auditor_sees_every_team(self, app, shared_world):
        client = signed_in_client(app, shared_world["auditor"])
        html = client.get("/practice", query_string=PERIOD).get_data(as_text=True)
        unannounced = section(html, "unannounced")
        assert "All teams: 4 of 4 visits (100%)" in unannounced.get_text(" ", strip=True)
        assert row(unannounced, "By team", "North") == "3 of 3 visits (100%)"
        assert row(unannounced, "By team", "Other") == "1 of 1 visits (100%)"

    def test_each_measure_downloads_as_a_csv_of_what_it_counted(self, app, shared_world):
        client = signed_in_client(app, shared_world["boss"])
        before = count(app, AuditEvent, AuditEvent.action == "practice_exported")
        response = client.get("/practice/visits_on_time.csv", query_string=PERIOD)
        assert response.mimetype == "text/csv" and response.is_streamed
        lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
        response.close()
        assert lines[0] == "team,practitioner,date,record,value"
        assert lines[1:] == [f"North,Priya Invented,2026-09-14,visit {shared_world['decided']},yes"]
        assert count(app, AuditEvent, AuditEvent.action == "practice_exported") == before + 1
        assert client.get("/practice/no_such_measure.csv", query_string=PERIOD).status_code == 404

    def test_the_page_as_a_pdf(self, app, shared_world):
        client = signed_in_client(app, shared_world["boss"])
        response = client.get("/practice.pdf", query_string=PERIOD)
        assert response.mimetype == "application/pdf"
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
        assert "Practice quality: North team" in text
        assert "Must-see rooms and items seen" in text and "Priya Invented" in text
        with app.app_context():
            assert db.session.scalar(
                select(AuditEvent.detail).where(AuditEvent.action == "practice_pdf").order_by(AuditEvent.id.desc())
            ).endswith("2026-09-01 to 2026-11-30")

    @pytest.mark.parametrize(
        "dates, message",
        [
            ({"date_from": ["31", "2", "2026"], "date_to": ["1", "3", "2026"]}, "From must be a real date"),
            ({"date_from": ["1", "3", "2026"], "date_to": ["1", "2", "2026"]}, "The end date must be the same as"),
            ({"date_from": ["1", "3", "2026"], "date_to": ["", "", ""]}, "Enter the end date"),
            ({"date_from": ["1", "3", "2020"], "date_to": ["1", "3", "2026"]}, "The period must be 2 years or shorter"),
        ],
    )
    def test_wrong_dates_are_explained_and_no_figures_shown(self, app, shared_world, dates, message):
        client = signed_in_client(app, shared_world["boss"])
        for url in ("/practice", "/practice.pdf", "/practice/unannounced.csv"):
            response = client.get(url, query_string=dates)
            html = response.get_data(as_text=True)
            assert response.status_code == 200 and response.mimetype == "text/html"
            summary = helpers.page(html).select_one(".govuk-error-summary")
            assert summary is not None and message in summary.get_text()
            assert section(html, "unannounced") is None

    def test_with_no_dates_the_last_three_months(self, app, shared_world):
        html = signed_in_client(app, shared_world["boss"]).get("/practice").get_data(as_text=True)
        today = dt.date.today()
        start = (today.replace(day=1) - dt.timedelta(days=40)).replace(day=1)
        assert f"From {start.day} {start:%B %Y} to {today.day} {today:%B %Y}" in html
        assert "North team: Median 0 hours over 1 decisions" in section(html, "decision_time").get_text(" ", strip=True)
