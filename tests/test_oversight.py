"""Trends, flags, chronology, supervisor review, the team dashboard and the history PDF."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

import pytest
from pypdf import PdfReader

from heat.extensions import db
from heat.models import AuditEvent, Child, ReviewDecision
from heat.services import chronology, history, history_pdf
from tests import helpers
from tests.test_assessment_flow import count, definition, stored


def day_parts(day: dt.date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


def submitted_visit(
    app, client, child_id: int, day: dt.date, grades: dict | None = None, rooms: dict | None = None, plan: str = "cp"
) -> int:
    assessment_id = helpers.start(client, child_id)
    helpers.complete(client, assessment_id, definition(app), grades=grades, rooms=rooms)
    visit = {**helpers.visit_data(day), "plan_status": plan, "visit_type": plan}
    assert helpers.save(client, assessment_id, "visit", visit).status_code == 302
    assert helpers.submit(client, assessment_id).status_code == 302
    return assessment_id


def three_slipping_visits(app, world) -> list[int]:
    today = dt.date.today()
    return [
        submitted_visit(
            app,
            world["w"],
            world["child"].id,
            today - dt.timedelta(days=d),
            grades={"kitchen.food": g, "general.smell": s},
        )
        for d, g, s in ((60, "3", "2"), (30, "3", "3"), (1, "4", "3"))
    ]


def test_child_page_shows_trend_chart_table_and_flags_linking_to_visits(app, team_world):
    ids = three_slipping_visits(app, team_world)
    page = team_world["w"].get(f"/children/{team_world['child'].id}").get_data(as_text=True)
    svg = str(helpers.page(page).find("svg", attrs={"role": "img"}))
    assert "Trend over visits" in svg and "polyline" in svg
    assert svg.count("<polygon") + svg.count("<rect") + svg.count('r="7.5"') >= 3  # a rating marker per visit
    assert "Trend data: rating, average and worst grade per area at each visit" in page
    assert "Active: Food for the child: 3 or worse at 3 visits running" in page
    assert "Active: Getting worse over 3 visits" in page
    for assessment_id in ids:
        assert f'href="/assessments/{assessment_id}"' in page
    assert "Download history PDF" in page


def test_chronology_lists_records_and_filters_by_kind(app, team_world):
    three_slipping_visits(app, team_world)
    w, child = team_world["w"], team_world["child"]
    today = dt.date.today()
    response = w.post(
        f"/children/{child.id}/chronology/new",
        data={
            "csrf_token": w.token,
            "occurred_on": day_parts(today),
            "source_kind": "out_of_area",
            "source": "Health visiting, Eastshire (invented)",
            "summary": "Two missed health reviews before the move.",
        },
    )
    assert response.status_code == 302
    response = w.post(
        f"/children/{child.id}/plan",
        data={
            "csrf_token": w.token,
            "plan_status": "cin",
            "effective_date": day_parts(today),
            "note": "Conference decision.",
        },
    )
    assert response.status_code == 302
    with app.app_context():  # a step-down waits for a supervisor
        assert db.session.get(Child, child.id).plan_status == "cp"
    page = w.get(f"/children/{child.id}").get_data(as_text=True)
    for text in [
        "Information from Health visiting, Eastshire (invented)",
        "Step-down requested: Child Protection plan (Neglect) to Child in Need plan",
        "Home visit: Amber",
        "Flag: Getting worse over 3 visits",
    ]:
        assert text in page
    s = team_world["s"]
    change = helpers.page(s.get("/reviews")).select_one("a[href*='/plan-changes/']")["href"]
    decision = {"csrf_token": s.token, "decision": "agreed", "rationale": "Agreed at supervision."}
    assert s.post(change, data=decision).status_code == 302
    only_plans = w.get(f"/children/{child.id}?kind=plan").get_data(as_text=True)
    chronology = helpers.text_of(only_plans, "table.heat-chronology")
    assert "Step-down agreed: plan changed to Child in Need plan" in chronology and "Home visit:" not in chronology
    with app.app_context():
        assert db.session.get(Child, child.id).plan_status == "cin"


def test_handover_reallocates_the_child_and_is_in_the_chronology(app, make, team_world):
    colleague = make.user("practitioner", team_world["team"])
    w, child = team_world["w"], team_world["child"]
    page = w.get(f"/children/{child.id}/handover").get_data(as_text=True)
    assert colleague.name in page
    missing = w.post(
        f"/children/{child.id}/handover", data={"csrf_token": w.token, "to_worker": str(colleague.id), "note": ""}
    )
    assert "Enter a handover note" in missing.get_data(as_text=True)
    response = w.post(
        f"/children/{child.id}/handover",
        data={"csrf_token": w.token, "to_worker": str(colleague.id), "note": "Mother prefers morning visits."},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Child, child.id).allocated_worker_id == colleague.id
    assert f"Handed over to {colleague.name}" in w.get(f"/children/{child.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    "path, data, message",
    [
        (
            "plan",
            {"plan_status": "cp", "plan_category": "", "effective_date": ["1", "1", "2026"]},
            "Select the Child Protection category",
        ),
        ("plan", {"plan_status": "cin", "effective_date": ["31", "2", "2026"]}, "must be a real date"),
        (
            "chronology/new",
            {"occurred_on": ["1", "1", "2026"], "source_kind": "agency", "source": "", "summary": "x"},
            "Enter the source",
        ),
        (
            "chronology/new",
            {"occurred_on": ["1", "1", "2999"], "source_kind": "agency", "source": "GP", "summary": "x"},
            "must be today or in the past",
        ),
    ],
)
def test_history_forms_reject_bad_input(app, team_world, path, data, message):
    w, child = team_world["w"], team_world["child"]
    response = w.post(f"/children/{child.id}/{path}", data={"csrf_token": w.token, **data})
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert "There is a problem" in response.get_data(as_text=True)


def test_review_queue_risk_first_and_decision_needs_a_rationale(app, team_world):
    first, second, third = three_slipping_visits(app, team_world)
    assert [stored(app, i).rating for i in (first, second, third)] == ["green", "green", "amber"]
    s = team_world["s"]
    queue = s.get("/reviews").get_data(as_text=True)
    positions = [queue.index(f"/assessments/{i}/review") for i in (third, first, second)]
    assert positions == sorted(positions)  # Amber first; the Greens oldest first
    page = s.get(f"/assessments/{third}/review").get_data(as_text=True)
    for words in [
        "Agreed",
        "Returned for changes",
        "Escalated",
        "Rationale",
        "Record decision",
        "Getting worse over 3 visits",
        "<svg",
    ]:
        assert words in page
    response = s.post(
        f"/assessments/{third}/review", data={"csrf_token": s.token, "decision": "agreed", "rationale": "   "}
    )
    assert response.status_code == 200 and "Enter the rationale for your decision" in response.get_data(as_text=True)
    assert stored(app, third).status == "submitted"
    assert count(app, ReviewDecision) == 0


@pytest.mark.pdf_renders
def test_agreed_decision_shows_on_the_assessment_chronology_and_pdf(app, team_world):
    assessment_id = three_slipping_visits(app, team_world)[-1]
    s = team_world["s"]
    response = helpers.decide(
        s, assessment_id, "escalated", "Escalated to the service manager: a third worsening visit.", "escalated"
    )
    assert response.status_code == 302
    assert stored(app, assessment_id).status == "escalated"
    result = s.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    assert "Escalated" in result and "a third worsening visit" in result and team_world["supervisor"].name in result
    assert "Supervisor decision: Escalated" in s.get(f"/children/{team_world['child'].id}").get_data(as_text=True)
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(s.get(f"/assessments/{assessment_id}/pdf").data)).pages
    )
    assert "Review and sign-off" in text and "Escalated" in text
    assert (
        count(app, AuditEvent, AuditEvent.action == "review_decision", AuditEvent.assessment_id == assessment_id) == 1
    )
    assert f"/assessments/{assessment_id}/review" not in s.get("/reviews").get_data(as_text=True)


def test_returned_assessment_goes_back_to_the_practitioner_to_change_and_resubmit(app, team_world):
    assessment_id = three_slipping_visits(app, team_world)[-1]
    s, w = team_world["s"], team_world["w"]
    helpers.decide(s, assessment_id, "returned", "Say who was supervising the baby.")
    task_list = w.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    assert "Returned for changes" in task_list and "Say who was supervising the baby." in task_list
    voice = {**helpers.voice_data(), **helpers.each_child_seen(w, assessment_id)}
    voice |= {name: "Grandmother held the baby throughout." for name in voice if name.startswith("voice_")}
    response = helpers.save(w, assessment_id, "voice", voice)
    assert response.status_code == 302
    assert helpers.submit(w, assessment_id, key="resubmission-key").status_code == 302
    assert stored(app, assessment_id).status == "submitted"
    assert f"/assessments/{assessment_id}/review" in s.get("/reviews").get_data(as_text=True)


@pytest.mark.parametrize("role", ["practitioner", "auditor"])
def test_only_supervisors_review(app, make, signed_in, team_world, role):
    assessment_id = submitted_visit(app, team_world["w"], team_world["child"].id, dt.date.today())
    client = signed_in(make.user(role, team_world["team"] if role == "practitioner" else None))
    assert client.get(f"/assessments/{assessment_id}/review").status_code == 404
    assert (
        client.post(
            f"/assessments/{assessment_id}/review",
            data={"csrf_token": client.token, "decision": "agreed", "rationale": "x"},
        ).status_code
        == 404
    )
    assert client.get("/reviews").status_code == 404
    assert stored(app, assessment_id).status == "submitted"


def test_dashboard_shows_each_childs_summary(app, make, team_world):
    three_slipping_visits(app, team_world)
    never = make.child(team_world["team"], "Otto", "Nevervisited", plan="cin")
    page = team_world["s"].get("/dashboard").get_data(as_text=True)
    assert "Riverside team dashboard" in page
    row = helpers.table_row(page, "Ivy Invented")
    assert "Red" in row or "Amber" in row
    assert "Worse ↑" in row
    assert "Getting worse over 3 visits" in row
    assert "working day" in row and "due every 10" in row
    assert "Otto Nevervisited" in page and "Never visited" in page
    flagged = team_world["s"].get("/dashboard?show=flagged").get_data(as_text=True)
    assert "Ivy Invented" in flagged and "Otto Nevervisited" not in flagged
    by_name = team_world["s"].get("/dashboard?sort=name").get_data(as_text=True)
    assert by_name.index("Ivy Invented") < by_name.index("Otto Nevervisited")
    never_row = helpers.table_row(page, never.name)
    assert "No visits" in never_row and "Never visited" in never_row


def test_most_at_risk_first_weighs_the_rating_and_active_flags_together(app, make, team_world):
    # The stored summaries the dashboard reads, as the trend rules would leave them.
    summaries = {
        "Gail Greenflagged": ("green", 4),
        "Ivan Incompletequiet": ("incomplete", 0),
        "Rita Redquiet": ("red", 0),
        "Ada Amberflagged": ("amber", 1),
        "Gus Greenquiet": ("green", 0),
        "Nia Nevervisited": (None, 0),
    }
    for name, (rating, flags) in summaries.items():
        child = make.child(team_world["team"], *name.split())
        with app.app_context():
            stored_child = db.session.get(Child, child.id)
            stored_child.latest_rating = rating
            stored_child.active_flags = [f"Flag {n}" for n in range(flags)]
            stored_child.flag_count = flags
            db.session.commit()
    page = team_world["s"].get("/dashboard?sort=rating").get_data(as_text=True)
    assert "Most at risk first" in page
    order = sorted(summaries, key=page.index)
    # Red first; then rank + flags (Green 0, Amber 1, Incomplete 2), the worse rating on a tie.
    assert order == [
        "Rita Redquiet",
        "Gail Greenflagged",
        "Ivan Incompletequiet",
        "Ada Amberflagged",
        "Gus Greenquiet",
        "Nia Nevervisited",
    ]


def test_since_last_visit_compares_the_latest_two_visits_only(app, team_world):
    today = dt.date.today()
    child_id = team_world["child"].id
    submitted_visit(app, team_world["w"], child_id, today - dt.timedelta(days=30), rooms={"kitchen": "not_seen"})
    row = helpers.table_row(team_world["s"].get("/dashboard").get_data(as_text=True), "Ivy Invented")
    assert "Incomplete" in row
    submitted_visit(app, team_world["w"], child_id, today - dt.timedelta(days=1))
    row = helpers.table_row(team_world["s"].get("/dashboard").get_data(as_text=True), "Ivy Invented")
    assert "Not everything was seen" not in row and "Better" not in row
    assert "Not all seen the visit before" in row


def test_dashboard_counts_rooms_never_seen_and_overdue_actions(app, team_world):
    old = dt.date.today() - dt.timedelta(days=40)
    submitted_visit(app, team_world["w"], team_world["child"].id, old, rooms={"outside": "not_seen"})
    html = team_world["s"].get("/dashboard").get_data(as_text=True)
    row = helpers.table_row(html, "Ivy Invented")
    assert "Garden or outside space" in row
    assert "Overdue" in row  # 40 days is more than 10 working days for a CP plan
    cells = [
        td.get_text(strip=True) for td in next(r for r in helpers.page(html).select("tr") if "Ivy" in r.text)("td")
    ]
    assert cells[-1] == "0"  # the action is due 14 days after today, not overdue


def test_auditors_see_every_teams_dashboard_read_only(app, make, signed_in, team_world):
    other = make.team("Hillside")
    make.child(other, "Hal", "Hillside")
    auditor = signed_in(make.user("auditor"))
    page = auditor.get(f"/dashboard?team={other.id}").get_data(as_text=True)
    assert "Hillside team dashboard" in page and "Hal Hillside" in page
    assert "Riverside" in page  # the team chooser
    assert "Start a new assessment" not in auditor.get(f"/children/{team_world['child'].id}").get_data(as_text=True)
    # Practitioners cannot ask for another team's dashboard.
    assert "Hal Hillside" not in team_world["w"].get(f"/dashboard?team={other.id}").get_data(as_text=True)


def test_dashboard_query_count_does_not_grow_with_the_number_of_children(app, make, team_world):
    three_slipping_visits(app, team_world)
    few = helpers.statements(app, team_world["s"], "/dashboard")
    for n in range(30):
        make.child(team_world["team"], f"Extra{n}", "Invented")
    assert helpers.statements(app, team_world["s"], "/dashboard") == few


def test_history_pdf_has_summary_chart_pages_and_a_checkable_hash(app, team_world):
    three_slipping_visits(app, team_world)
    s, child = team_world["s"], team_world["child"]
    response = s.get(f"/children/{child.id}/history.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "Ivy" not in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    assert bool(reader.trailer["/Root"]["/MarkInfo"]["/Marked"]) and reader.trailer["/Root"]["/Lang"] == "en-GB"
    assert reader.metadata.title.startswith(f"HEAT history {child.reference}, ")
    pages = [p.extract_text() for p in reader.pages]
    total = len(pages)
    for n, text in enumerate(pages, start=1):
        assert f"Page {n} of {total}" in text
        assert f"Generated by {team_world['supervisor'].name}" in text
        assert f"checklist version {definition(app).version}" in text
    text = " ".join(pages)
    digest = re.search(r"SHA-256\s*([0-9a-f]{64})", text.replace("\n", "")).group(1)
    with app.app_context():
        record_child = db.session.get(Child, child.id)
        record = history.history(record_child)
        assert digest == history_pdf.content_hash(record_child, record, chronology.chronology(record_child, record))
    for words in [
        "Home environment history: Ivy Invented",
        "Getting worse over 3 visits",
        "Trend data",
        "Every assessment",
        "Chronology",
        "Latest profile",
    ]:
        assert words in text
    assert count(app, AuditEvent, AuditEvent.action == "history_pdf", AuditEvent.child_id == child.id) == 1


def test_content_hash_changes_when_the_record_changes(app, team_world):
    assessment_id = three_slipping_visits(app, team_world)[-1]
    with app.app_context():
        child = db.session.get(Child, team_world["child"].id)
        record = history.history(child)
        before = history_pdf.content_hash(child, record, chronology.chronology(child, record))
    s = team_world["s"]
    assert helpers.decide(s, assessment_id, "agreed", "Agreed: the actions cover the slipping.").status_code == 302
    with app.app_context():
        child = db.session.get(Child, team_world["child"].id)
        record = history.history(child)
        assert history_pdf.content_hash(child, record, chronology.chronology(child, record)) != before
    assert len(before) == len(hashlib.sha256().hexdigest())


def test_child_page_query_count_does_not_grow_with_the_number_of_visits(app, make, signed_in, team_world):
    today = dt.date.today()
    two = make.child(team_world["team"], "Two", "Visits")
    five = make.child(team_world["team"], "Five", "Visits")
    for n in range(2):
        submitted_visit(app, team_world["w"], two.id, today - dt.timedelta(days=n))
    for n in range(5):
        submitted_visit(app, team_world["w"], five.id, today - dt.timedelta(days=n))
    assert helpers.statements(app, team_world["s"], f"/children/{two.id}") == helpers.statements(
        app, team_world["s"], f"/children/{five.id}"
    )
