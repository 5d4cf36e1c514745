"""Oversight at the points the case review names, through the app: nobody reviews their own work,
step-downs need a supervisor, the queue puts risk first, every active flag gets an answer, and what
was not seen never reads as better."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from heat.extensions import db
from heat.models import Assessment, Child, FlagResponse, PlanChange, ReviewDecision
from heat.services import checklists
from tests import helpers
from tests.test_assessment_flow import count, definition, stored
from tests.test_oversight import submitted_visit, three_slipping_visits

TODAY = dt.date.today()


def child_of(app, child_id):
    with app.app_context():
        child = db.session.get(Child, child_id)
        db.session.expunge(child)
        return child


def plan_change(client, child_id, status, note="", category="", day=TODAY):
    return client.post(
        f"/children/{child_id}/plan",
        data={
            "csrf_token": client.token,
            "plan_status": status,
            "plan_category": category,
            "effective_date": [str(day.day), str(day.month), str(day.year)],
            "note": note,
        },
    )


def latest_change(app, child_id) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(PlanChange.id)).where(PlanChange.child_id == child_id))


def text_of_pdf(response) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)


# --- separation of duties ------------------------------------------------------------------


def test_a_supervisor_never_decides_on_an_assessment_they_started_and_submitted(app, make, signed_in, team_world):
    s, supervisor = team_world["s"], team_world["supervisor"]
    own = submitted_visit(app, s, team_world["child"].id, TODAY)
    review = s.get(f"/assessments/{own}/review").get_data(as_text=True)
    assert "another supervisor of the team must review it" in review and "Record decision" not in review
    queue = s.get("/reviews").get_data(as_text=True)
    assert "Waiting for another supervisor" in queue and "Needs a second supervisor" in queue
    # The team has no other supervisor: the dashboard says so.
    dashboard = s.get("/dashboard").get_data(as_text=True)
    assert "1 assessment needs a second supervisor." in dashboard

    # A direct POST, as if the form had been shown, is refused and stores nothing.
    response = s.post(
        f"/assessments/{own}/review",
        data={"csrf_token": s.token, "decision": "agreed", "rationale": "Looks fine to me."},
    )
    assert response.status_code == 200
    assert "another supervisor of the team must review it" in response.get_data(as_text=True)
    assert stored(app, own).status == "submitted" and count(app, ReviewDecision) == 0

    # Another supervisor of the team may decide; the first one is not named as the reviewer.
    colleague = make.user("supervisor", team_world["team"])
    other = signed_in(colleague)
    assert "needs a second supervisor" not in s.get("/dashboard").get_data(as_text=True)
    assert helpers.decide(other, own, "agreed", "Agreed by a second supervisor.").status_code == 302
    with app.app_context():
        (decision,) = db.session.scalars(select(ReviewDecision)).all()
        assert decision.reviewer_id == colleague.id != supervisor.id


def test_a_supervisor_who_changed_a_practitioners_draft_cannot_agree_it(app, make, signed_in, team_world):
    w, s = team_world["w"], team_world["s"]
    assessment_id = helpers.start(w, team_world["child"].id)
    helpers.complete(w, assessment_id, definition(app))
    edited = helpers.domain_data(definition(app), "kitchen", {"kitchen.food": "3"})
    assert helpers.save(s, assessment_id, "kitchen", edited).status_code == 302  # the supervisor edits
    assert helpers.submit(w, assessment_id).status_code == 302
    for attempt in (
        helpers.decide(s, assessment_id, "agreed", "Agreed."),
        s.post(
            f"/assessments/{assessment_id}/review",
            data={"csrf_token": s.token, "decision": "returned", "rationale": "Change it."},
        ),
    ):
        assert attempt.status_code == 200
    assert stored(app, assessment_id).status == "submitted" and count(app, ReviewDecision) == 0
    assert f"/assessments/{assessment_id}/review" in s.get("/reviews").get_data(as_text=True)  # listed, to wait


# --- step-downs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, to",
    [
        ("cp", "cin"),
        ("cp", "early_help"),
        ("cp", "none"),
        ("cin", "early_help"),
        ("cin", "none"),
        ("early_help", "none"),
    ],
)
def test_every_step_down_is_a_request_until_another_supervisor_agrees(app, make, signed_in, team_world, start, to):
    w, s = team_world["w"], team_world["s"]
    child = make.child(team_world["team"], "Pip", "Stepdown", plan=start)
    missing = plan_change(w, child.id, to)
    assert "Enter the rationale for stepping down to a lower plan" in missing.get_data(as_text=True)
    assert plan_change(w, child.id, to, note="Conference: home improved for six months.").status_code == 302
    assert child_of(app, child.id).plan_status == start  # the plan stays as it was

    page = w.get(f"/children/{child.id}").get_data(as_text=True)
    assert "Step-down requested" in page and team_world["worker"].name in page
    assert "Conference: home improved for six months." in page
    change_url = f"/children/{child.id}/plan-changes/{latest_change(app, child.id)}"
    assert w.get(change_url).status_code == 404  # practitioners do not decide
    if start == "cp":  # a step-down from Child Protection needs a recent complete visit
        submitted_visit(app, w, child.id, TODAY)

    agreed = s.post(change_url, data={"csrf_token": s.token, "decision": "agreed", "rationale": "Agreed."})
    assert agreed.status_code == 302
    assert child_of(app, child.id).plan_status == to
    assert "heat-step-down-title" not in w.get(f"/children/{child.id}").get_data(as_text=True)  # no banner


def test_a_supervisors_own_step_down_waits_for_another_and_not_agreed_keeps_the_plan(app, make, signed_in, team_world):
    s = team_world["s"]
    child_id = team_world["child"].id
    assert plan_change(s, child_id, "cin", note="I think the plan can step down.").status_code == 302
    change_url = f"/children/{child_id}/plan-changes/{latest_change(app, child_id)}"
    assert "another supervisor must decide it" in s.get(change_url).get_data(as_text=True)
    own = s.post(change_url, data={"csrf_token": s.token, "decision": "agreed", "rationale": "Agreed."})
    assert "You asked for this step-down" in own.get_data(as_text=True)
    assert child_of(app, child_id).plan_status == "cp"

    # A second step-down while one waits is refused.
    again = plan_change(team_world["w"], child_id, "early_help", note="Lower still.")
    assert "A step-down is already waiting" in again.get_data(as_text=True)

    other = signed_in(make.user("supervisor", team_world["team"]))
    queue = other.get("/reviews").get_data(as_text=True)
    assert "Decide on the step-down" in queue
    missing = other.post(change_url, data={"csrf_token": other.token, "decision": "not_agreed", "rationale": ""})
    assert "Enter the rationale for your decision" in missing.get_data(as_text=True)
    refused = other.post(
        change_url,
        data={"csrf_token": other.token, "decision": "not_agreed", "rationale": "Not until the kitchen is seen."},
    )
    assert refused.status_code == 302
    assert child_of(app, child_id).plan_status == "cp"
    chronology = helpers.text_of(s.get(f"/children/{child_id}?kind=plan").get_data(as_text=True), "table")
    assert "Step-down requested" in chronology
    assert "Step-down not agreed: the plan stays Child Protection plan (Neglect)" in chronology
    assert "Not until the kitchen is seen." in chronology
    pdf = text_of_pdf(s.get(f"/children/{child_id}/history.pdf"))
    assert "Step-down not agreed" in pdf and "Not until the kitchen is seen." in pdf
    # Decided once: the page no longer offers a decision.
    assert other.get(change_url).status_code == 302


def test_a_step_up_takes_effect_at_once_and_waits_to_be_noted(app, make, signed_in, team_world):
    w, s = team_world["w"], team_world["s"]
    child = make.child(team_world["team"], "Rae", "Stepup", plan="cin")
    assert plan_change(w, child.id, "cp", category="neglect", note="Strategy meeting.").status_code == 302
    assert child_of(app, child.id).plan_status == "cp"
    queue = s.get("/reviews").get_data(as_text=True)
    assert "Note the step-up" in queue and "Child in Need plan to Child Protection plan (Neglect)" in queue
    change_url = f"/children/{child.id}/plan-changes/{latest_change(app, child.id)}"
    assert s.post(change_url, data={"csrf_token": s.token}).status_code == 302
    assert "Note the step-up" not in s.get("/reviews").get_data(as_text=True)
    chronology = helpers.text_of(s.get(f"/children/{child.id}?kind=plan").get_data(as_text=True), "table")
    assert f"Noted by {team_world['supervisor'].name}" in chronology


def test_after_an_agreed_step_down_the_next_visit_is_the_baseline(app, make, signed_in, team_world):
    w, s = team_world["w"], team_world["s"]
    child_id = team_world["child"].id
    submitted_visit(app, w, child_id, TODAY - dt.timedelta(days=60), grades={"general.smell": "3"})
    step_down = TODAY - dt.timedelta(days=45)
    assert plan_change(w, child_id, "early_help", note="Conference.", day=step_down).status_code == 302
    change_url = f"/children/{child_id}/plan-changes/{latest_change(app, child_id)}"
    submitted_visit(app, w, child_id, TODAY - dt.timedelta(days=2))  # the recent visit a CP step-down needs
    s.post(change_url, data={"csrf_token": s.token, "decision": "agreed", "rationale": "Agreed."})
    assert child_of(app, child_id).plan_status == "early_help"
    submitted_visit(app, w, child_id, TODAY - dt.timedelta(days=30), plan="cin")
    assert "Worse since stepping down" not in w.get(f"/children/{child_id}").get_data(as_text=True)
    worse = {"general.smell": "3", "kitchen.food": "3", "warmth.toys": "3"}
    submitted_visit(app, w, child_id, TODAY - dt.timedelta(days=1), grades=worse, plan="cin")
    page = w.get(f"/children/{child_id}").get_data(as_text=True)
    assert "Active: Worse since stepping down" in page
    assert "from Child Protection plan (Neglect) to Early help" in page

    stepped = s.get("/dashboard?show=stepped_down").get_data(as_text=True)
    assert team_world["child"].name in stepped
    other = make.child(team_world["team"], "Not", "Steppeddown")
    assert other.name not in stepped and other.name in s.get("/dashboard").get_data(as_text=True)


# --- the queue and answers to flags ----------------------------------------------------------


def test_the_review_queue_puts_risk_first_and_shows_every_childs_flags(app, make, signed_in, team_world):
    w, s, team = team_world["w"], team_world["s"], team_world["team"]
    base = TODAY - dt.timedelta(days=20)
    green = submitted_visit(app, w, make.child(team, "Gina", "Green").id, base)
    amber = submitted_visit(app, w, make.child(team, "Amy", "Amber").id, base, grades={"general.smell": "4"})
    red = submitted_visit(app, w, make.child(team, "Rex", "Red").id, base, grades={"general.smell": "5"})
    incomplete = submitted_visit(app, w, make.child(team, "Ian", "Incomplete").id, base, rooms={"kitchen": "refused"})
    # Two children on one visit: the older has a flag from three slipping visits before.
    older = make.child(team, "Fay", "Flagged", months=30)
    household = make.household(team)
    with app.app_context():
        for child in (older, team_world["child"]):
            db.session.get(Child, child.id).household_id = household.id
        db.session.commit()
    three_slipping_visits(app, team_world)  # the last is Amber, flagged "Getting worse over 3 visits"
    flagged_amber = helpers.start(w, team_world["child"].id, [team_world["child"].id, older.id])
    helpers.complete(w, flagged_amber, definition(app), grades={"general.smell": "4"})
    helpers.submit(w, flagged_amber)

    queue = s.get("/reviews").get_data(as_text=True)
    order = [red, incomplete, flagged_amber, amber, green]
    positions = [queue.index(f"/assessments/{i}/review") for i in order]
    assert positions == sorted(positions)
    row = helpers.table_row(queue, "Fay Flagged")
    assert "Ivy: Smell: 3 or worse at 3 visits running" in row and "Fay: None" in row

    review = s.get(f"/assessments/{flagged_amber}/review").get_data(as_text=True)
    assert "Cumulative-harm flags for Ivy Invented" in review and "Cumulative-harm flags for Fay Flagged" in review


@pytest.mark.pdf_renders
def test_every_active_flag_needs_an_answer_before_a_decision(app, team_world):
    assessment_id = three_slipping_visits(app, team_world)[-1]
    s, child_id = team_world["s"], team_world["child"].id
    page = s.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    assert "Answer each active flag" in page and "Discussed with the worker" in page and "No action needed" in page
    bare = s.post(
        f"/assessments/{assessment_id}/review",
        data={"csrf_token": s.token, "decision": "agreed", "rationale": "Agreed."},
    )
    text = bare.get_data(as_text=True)
    assert bare.status_code == 200 and "There is a problem" in text
    assert "Select your response to ‘Getting worse over 3 visits’ (Ivy)" in text
    assert "Enter a short reason for your response to ‘Getting worse over 3 visits’ (Ivy)" in text
    assert 'href="#flag-1-response"' in text
    assert stored(app, assessment_id).status == "submitted" and count(app, FlagResponse) == 0

    response = helpers.decide(
        s, assessment_id, "agreed", "Agreed with a plan at supervision.", "escalated", "Raised with the manager."
    )
    assert response.status_code == 302
    with app.app_context():
        answers = {a.flag_title: (a.response, a.reason, a.child_id) for a in db.session.scalars(select(FlagResponse))}
    assert answers["Getting worse over 3 visits"] == ("escalated", "Raised with the manager.", child_id)
    result = s.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    assert "Flag “Getting worse over 3 visits”" in result and "Raised with the manager." in result
    assessment_pdf = text_of_pdf(s.get(f"/assessments/{assessment_id}/pdf"))
    assert "Getting worse over 3 visits" in assessment_pdf and "Raised with the manager." in assessment_pdf
    chronology = helpers.text_of(s.get(f"/children/{child_id}").get_data(as_text=True), "table.heat-chronology")
    assert "Flag answered: Escalated" in chronology
    history_pdf = text_of_pdf(s.get(f"/children/{child_id}/history.pdf"))
    # The history PDF groups answers under their flag: one row, with the first and latest answer.
    flat = " ".join(history_pdf.split())
    answers = flat[flat.index("Supervisors' answers to flags") :]
    assert "Getting worse over 3 visits" in answers and "Escalated" in answers
    assert "Raised with the manager." in answers and "Flag answered" not in history_pdf


# --- not seen is never better --------------------------------------------------------------


def test_a_visit_where_the_kitchen_was_not_seen_never_reads_as_better(app, team_world):
    w, s, child_id = team_world["w"], team_world["s"], team_world["child"].id
    submitted_visit(app, w, child_id, TODAY - dt.timedelta(days=30), grades={"general.smell": "5"})
    hidden = submitted_visit(app, w, child_id, TODAY, rooms={"kitchen": "refused"})
    assert stored(app, hidden).rating == "incomplete"
    dashboard = s.get("/dashboard").get_data(as_text=True)
    row = helpers.table_row(dashboard, team_world["child"].name)
    assert "Not everything was seen" in row and "Better" not in row
    worse = helpers.page(s.get("/dashboard?show=worse")).select("table.heat-dashboard")
    assert team_world["child"].name not in " ".join(t.get_text() for t in worse)  # the Red waits at the top
    page = w.get(f"/children/{child_id}").get_data(as_text=True)
    rows = helpers.page(page).select("table.heat-trend-table tbody tr")
    cells = [[c.get_text(strip=True) for c in row.find_all(["th", "td"])] for row in rows]
    assert [row[1:3] for row in cells] == [["Red", "2.1"], ["Incomplete", "–"]]  # no average for the Incomplete visit


def test_assessments_made_with_2026_1_keep_their_scores_exactly(app, team_world):
    """The evidence rule arrived in 2026.2: the same answers scored with 2026.1 stay Green."""
    w, child_id = team_world["w"], team_world["child"].id
    ids = []
    for version in ("2026.1", "2026.2"):
        own = app.extensions["heat_definitions"][version]  # each visit is filled in with its own version
        told = {f"source_{item.id.replace('.', '__')}": "carer_said" for item in own.domain("sleep").items}
        assessment_id = helpers.start(w, child_id)
        with app.app_context():
            db.session.get(Assessment, assessment_id).checklist_version = version
            db.session.commit()
        helpers.complete(w, assessment_id, own)
        sleep = {**helpers.domain_data(own, "sleep"), **told}
        assert helpers.save(w, assessment_id, "sleep", sleep).status_code == 302
        assert helpers.submit(w, assessment_id).status_code == 302
        ids.append(assessment_id)
    old, new = ids
    assert (stored(app, old).rating, stored(app, new).rating) == ("green", "amber")
    with app.app_context():
        assert checklists.score_of(db.session.get(Assessment, old)).rating == "green"
    result = w.get(f"/assessments/{new}").get_data(as_text=True)
    assert "graded only on what the parent or carer said" in result
