"""Visits where the practitioner could not get in: recorded with what was done next, in the
chronology and the history PDF, never counted as a visit (the child stays overdue), and two
running are a flag. And an unborn baby past the due date is named as such."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from heat.checklist.trends import VisitSummary, no_access_flags
from heat.extensions import db
from heat.models import AuditEvent, Child, NoAccessVisit
from tests import helpers
from tests.test_assessment_flow import definition

D = dt.date


def visit(n: int, day: dt.date) -> VisitSummary:
    return VisitSummary(id=n, date=day, rating="green", mean=1.5, grades={})


@pytest.mark.parametrize(
    "visits, attempts, expected",
    [
        ([visit(1, D(2026, 6, 1))], [D(2026, 6, 10)], None),  # one attempt is not yet a run
        ([visit(1, D(2026, 6, 1))], [D(2026, 6, 10), D(2026, 6, 12)], "No access at 2 visits running"),
        ([], [D(2026, 6, 10), D(2026, 6, 12), D(2026, 6, 15)], "No access at 3 visits running"),
        # A visit after the attempts breaks the run, even on the day of the second attempt.
        ([visit(1, D(2026, 6, 12))], [D(2026, 6, 10), D(2026, 6, 12)], None),
        # Attempts before the latest visit are history, not a run.
        ([visit(1, D(2026, 6, 20))], [D(2026, 6, 10), D(2026, 6, 12)], None),
    ],
)
def test_no_access_runs(visits, attempts, expected):
    flags = no_access_flags(visits, attempts)
    assert [f.title for f in flags] == ([expected] if expected else [])


def no_access(w, child_id: int, day: dt.date, reason: str = "no_answer", next_steps: str = "Left a card."):
    data = {
        "csrf_token": w.token,
        "attempted_on": [str(day.day), str(day.month), str(day.year)],
        "attempted_at": "10.15am",
        "reason": reason,
        "next_steps": next_steps,
    }
    return w.post(f"/children/{child_id}/no-access/new", data=data)


def test_no_access_twice_running_is_flagged_and_the_child_stays_overdue(app, team_world):
    w, s, child = team_world["w"], team_world["s"], team_world["child"]
    long_ago = dt.date.today() - dt.timedelta(days=60)
    assessment = helpers.start(w, child.id)
    helpers.complete(w, assessment, definition(app), day=long_ago)
    helpers.submit(w, assessment)
    page = helpers.page(w.get(f"/children/{child.id}").get_data(as_text=True))
    link = next(a for a in page.select("a") if a.get_text(strip=True) == "Record a visit where you could not get in")
    assert link["href"] == f"/children/{child.id}/no-access/new"
    assert "Record a visit where you could not get in" in w.get(link["href"]).get_data(as_text=True)

    yesterday = dt.date.today() - dt.timedelta(days=1)
    assert no_access(w, child.id, yesterday - dt.timedelta(days=2), "refused", "Phoned the mother.").status_code == 302
    assert "No access at" not in w.get(f"/children/{child.id}").get_data(as_text=True)
    assert no_access(w, child.id, yesterday, "away", "Asked the school.").status_code == 302

    child_page = helpers.page(w.get(f"/children/{child.id}").get_data(as_text=True)).get_text(" ")
    assert "No access at 2 visits running" in child_page
    assert "No access: Refused entry" in child_page and "Phoned the mother." in child_page
    assert "No access: Family away" in child_page
    dashboard = helpers.page(s.get("/dashboard?show=overdue_visit").get_data(as_text=True))
    row = next(r for r in dashboard.select("tbody tr") if child.name in r.get_text())
    assert "No access at 2 visits running" in row.get_text() and "Overdue" in row.get_text()
    assert f"{long_ago.day} {long_ago:%B %Y}" in row.get_text(" ")  # the last visit is still the one that got in

    pdf = w.get(f"/children/{child.id}/history.pdf")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).split())
    assert "No access: Refused entry" in text and "Asked the school." in text
    with app.app_context():
        attempts = db.session.scalars(select(NoAccessVisit).order_by(NoAccessVisit.attempted_on)).all()
        assert [(a.reason, a.attempted_at) for a in attempts] == [
            ("refused", dt.time(10, 15)),
            ("away", dt.time(10, 15)),
        ]
        assert db.session.scalar(select(Child.last_visit_date).where(Child.id == child.id)) == long_ago
        audited = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "no_access_recorded")).all()
        assert len(audited) == 2


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"reason": "", "next_steps": "Left a card."}, "Select why you could not get in"),
        ({"reason": "no_answer", "next_steps": "  "}, "Say what you did next"),
        ({"reason": "locked", "next_steps": "Left a card."}, "Select one of the options for Why could you not get in?"),
        (
            {"reason": "no_answer", "next_steps": "Left a card.", "attempted_at": "25:99"},
            "Enter the time as a real time",
        ),
    ],
)
def test_a_no_access_visit_needs_its_answers(app, team_world, fields, message):
    w, child = team_world["w"], team_world["child"]
    today = dt.date.today()
    data = {"csrf_token": w.token, "attempted_on": [str(today.day), str(today.month), str(today.year)], **fields}
    response = w.post(f"/children/{child.id}/no-access/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "govuk-error-summary" in page and message in page
    with app.app_context():
        assert db.session.scalar(select(NoAccessVisit.id)) is None


def test_an_unborn_baby_past_the_due_date_says_so(app, make, team_world):
    w = team_world["w"]
    with app.app_context():
        baby = db.session.get(Child, make.child(team_world["team"], "", "Unnamed").id)
        baby.date_of_birth, baby.expected_date_of_birth = None, dt.date.today() - dt.timedelta(days=90)
        db.session.commit()
        baby_id = baby.id
    message = "Due date passed: add the baby's name and date of birth"
    child_page = helpers.page(w.get(f"/children/{baby_id}").get_data(as_text=True)).get_text(" ")
    assert message in child_page and "Baby Unnamed" in child_page
    caseload = helpers.page(w.get("/caseload").get_data(as_text=True))
    row = next(r for r in caseload.select("tbody tr") if "Baby Unnamed" in r.get_text())
    assert message in row.get_text()
    assert message not in next(r for r in caseload.select("tbody tr") if "Ivy" in r.get_text()).get_text()
