"""Issue 20 items 3, 4, 5 and 8, through the app: the history in front of every decision (the
decision pack on the review page, the step-down page and the handover summary), a Child
Protection step-down needs a recent complete visit, a Red needs action today, actions carry
forward until done or dropped, and family history is a record with every change audited."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader
from sqlalchemy import select

from heat.checklist.working_days import add_working_days
from heat.extensions import db
from heat.models import AuditEvent, Child, FamilyHistoryEntry, PlanChange, ReviewDecision
from heat.services.demo import DEMO_PASSWORD
from tests import helpers
from tests.conftest import csrf_token, sign_in, signed_in_client
from tests.test_assessment_flow import count, definition, stored
from tests.test_oversight import submitted_visit
from tests.test_oversight_duties import child_of, latest_change, plan_change

TODAY = dt.date.today()


def day_fields(day: dt.date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


def pdf_text(response) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)


def pack_text(html: str) -> str:
    return " ".join(helpers.page(html).select_one("section.heat-decision-pack").get_text(" ", strip=True).split())


# --- a Child Protection step-down needs a recent complete visit -------------------------------


def test_a_cp_step_down_is_refused_without_a_complete_visit_and_agreed_after_one(app, team_world):
    w, s, child_id = team_world["w"], team_world["s"], team_world["child"].id
    asked_for = TODAY - dt.timedelta(days=3)
    assert plan_change(w, child_id, "cin", note="Review conference: step down.", day=asked_for).status_code == 302
    change_url = f"/children/{child_id}/plan-changes/{latest_change(app, child_id)}"
    agree = {"csrf_token": s.token, "decision": "agreed", "rationale": "The home has been good for months."}

    page = s.get(change_url).get_data(as_text=True)
    refusal = "cannot be agreed without a complete visit in the 10 working days before the decision"
    assert refusal in page and "There has been no complete visit." in page
    assert "No complete visit recorded." in pack_text(page)
    refused = s.post(change_url, data=agree).get_data(as_text=True)
    assert "There is a problem" in refused and refusal in helpers.text_of(refused, ".govuk-error-summary")
    assert child_of(app, child_id).plan_status == "cp"

    # An Incomplete visit is not enough; a complete one is.
    submitted_visit(app, w, child_id, TODAY - dt.timedelta(days=2), rooms={"kitchen": "refused"})
    assert "There has been no complete visit." in s.get(change_url).get_data(as_text=True)
    visit = submitted_visit(app, w, child_id, TODAY - dt.timedelta(days=1))
    page = s.get(change_url).get_data(as_text=True)
    assert refusal not in page
    pack = pack_text(page)
    yesterday = TODAY - dt.timedelta(days=1)
    assert f"Last complete visit {yesterday.day} {yesterday:%B %Y}: Green" in pack
    assert "Incomplete visits in the last 3 months (1)" in pack
    assert s.post(change_url, data=agree).status_code == 302
    assert child_of(app, child_id).plan_status == "cin"
    assert stored(app, visit).rating != "incomplete"

    # The chronology files the agreed step-down on the day it takes effect, not the day agreed.
    chronology = helpers.page(w.get(f"/children/{child_id}?kind=plan")).select("table.heat-chronology tbody tr")
    rows = [" ".join(r.get_text(" ", strip=True).split()) for r in chronology]
    agreed = next(r for r in rows if "Step-down agreed" in r)
    assert agreed.startswith(f"{asked_for.day} {asked_for:%B %Y}") and f"Agreed on {TODAY.day} {TODAY:%B %Y}" in agreed


def test_a_step_down_from_a_lower_plan_needs_no_visit(app, make, team_world):
    w, s = team_world["w"], team_world["s"]
    child = make.child(team_world["team"], "Cass", "Childinneed", plan="cin")
    assert plan_change(w, child.id, "early_help", note="Core group: step down.").status_code == 302
    change_url = f"/children/{child.id}/plan-changes/{latest_change(app, child.id)}"
    assert "cannot be agreed" not in s.get(change_url).get_data(as_text=True)
    agreed = s.post(change_url, data={"csrf_token": s.token, "decision": "agreed", "rationale": "Agreed."})
    assert agreed.status_code == 302 and child_of(app, child.id).plan_status == "early_help"


# --- a Red needs action today -----------------------------------------------------------------


def test_a_red_cannot_be_agreed_with_ok_nor_without_the_action_taken_today(app, team_world):
    w, s, child_id = team_world["w"], team_world["s"], team_world["child"].id
    red = submitted_visit(app, w, child_id, TODAY, grades={"general.smell": "5"})
    assert stored(app, red).rating == "red"
    dashboard = helpers.page(s.get("/dashboard")).select_one(".heat-reds-waiting").get_text(" ", strip=True)
    assert "Red visits waiting for a decision" in dashboard and "Ivy Invented" in dashboard
    assert "submitted 0 minutes ago" in dashboard

    page = s.get(f"/assessments/{red}/review").get_data(as_text=True)
    assert "Safeguarding action taken today" in page
    ok = helpers.decide(s, red, "agreed", "ok").get_data(as_text=True)
    assert "write at least 20 characters" in helpers.text_of(ok, ".govuk-error-summary")
    rationale = "Smell of gas reported to the landlord; family stays with grandmother."
    bare = helpers.decide(s, red, "agreed", rationale).get_data(as_text=True)
    assert "A Red visit cannot be Agreed without the safeguarding action taken today" in helpers.text_of(
        bare, ".govuk-error-summary"
    )
    assert stored(app, red).status == "submitted" and count(app, ReviewDecision) == 0

    action = "Phoned the gas emergency line at 15:10; engineer attended and capped the supply."
    assert helpers.decide(s, red, "agreed", rationale, action_today=action).status_code == 302
    assert stored(app, red).status == "agreed"
    assert action in w.get(f"/assessments/{red}").get_data(as_text=True)
    assert not helpers.page(s.get("/dashboard")).select(".heat-reds-waiting")


def test_a_red_can_be_escalated_and_an_amber_rationale_must_say_something(app, make, team_world):
    w, s = team_world["w"], team_world["s"]
    red = submitted_visit(app, w, team_world["child"].id, TODAY, grades={"general.smell": "5"})
    escalated = helpers.decide(s, red, "escalated", "Raised with the team manager for a strategy meeting.")
    assert escalated.status_code == 302 and stored(app, red).status == "escalated"

    amber_child = make.child(team_world["team"], "Ada", "Amber")
    amber = submitted_visit(app, w, amber_child.id, TODAY, grades={"general.smell": "4"})
    assert stored(app, amber).rating == "amber"
    short = helpers.decide(s, amber, "agreed", "Fine").get_data(as_text=True)
    assert "write at least 20 characters" in helpers.text_of(short, ".govuk-error-summary")
    assert stored(app, amber).status == "submitted"
    reason = "Smell is down to the bins; agreed a weekly clear-out."
    assert helpers.decide(s, amber, "agreed", reason).status_code == 302


# --- actions carry forward; next visit due ------------------------------------------------------


def actions(day_due: dt.date, status: str, next_visit: dt.date, **extra) -> dict:
    return {
        "strengths": "Warm interaction.",
        "worries": "Clutter on the stairs.",
        "actions-0-task": "Clear the stairs",
        "actions-0-owner": "Mother",
        "actions-0-due_date": day_fields(day_due),
        "actions-0-status": status,
        "actions-0-carried_forward": "yes",
        "next_visit_date": day_fields(next_visit),
        **extra,
    }


def test_a_not_done_action_carries_to_the_next_visit_and_the_handover_summary(app, team_world):
    w, s, child_id = team_world["w"], team_world["s"], team_world["child"].id
    submitted_visit(app, w, child_id, TODAY - dt.timedelta(days=20))
    # The second visit finds the first visit's action not done.
    second = helpers.start(w, child_id)
    carried = helpers.page(w.get(helpers.section_url(second, "actions"))).get_text(" ", strip=True)
    assert "Action 1 (carried forward)" in carried
    helpers.complete(w, second, definition(app))
    late = TODAY - dt.timedelta(days=2)
    response = helpers.save(w, second, "actions", actions(late, "not_done", TODAY + dt.timedelta(days=5)))
    assert response.status_code == 302
    assert helpers.submit(w, second).status_code == 302

    summary = w.get(f"/children/{child_id}/handover-summary").get_data(as_text=True)
    pack = pack_text(summary)
    assert "Open actions (1, 1 overdue)" in pack and "Clear the stairs" in pack and "not done" in pack
    assert "Open actions (0" not in summary
    assert "Clear the stairs" in pdf_text(w.get(f"/children/{child_id}/handover-summary.pdf"))
    review = s.get(f"/assessments/{second}/review").get_data(as_text=True)
    assert "Clear the stairs" in pack_text(review)

    # It comes forward again to the visit after, until dropped with a reason.
    third = helpers.start(w, child_id)
    assert "Action 1 (carried forward)" in helpers.page(w.get(helpers.section_url(third, "actions"))).get_text()
    helpers.complete(w, third, definition(app))
    no_reason = helpers.save(w, third, "actions", actions(late, "dropped", TODAY + dt.timedelta(days=5)))
    assert "Say why the action was dropped" in helpers.text_of(no_reason.get_data(as_text=True), ".govuk-error-summary")
    dropped = actions(late, "dropped", TODAY + dt.timedelta(days=5), **{"actions-0-drop_reason": "Moved to a flat."})
    assert helpers.save(w, third, "actions", dropped).status_code == 302
    assert helpers.submit(w, third).status_code == 302
    summary = pack_text(w.get(f"/children/{child_id}/handover-summary").get_data(as_text=True))
    assert "Open actions (0, 0 overdue)" in summary
    fourth = helpers.start(w, child_id)
    assert "(carried forward)" not in helpers.page(w.get(helpers.section_url(fourth, "actions"))).get_text()


def test_next_visit_due_is_the_agreed_date_when_earlier_than_the_plans_frequency(app, team_world):
    w, child_id = team_world["w"], team_world["child"].id
    visit_day = TODAY - dt.timedelta(days=1)
    by_frequency = add_working_days(visit_day, 10)  # a Child Protection plan: every 10 working days
    agreed = visit_day + dt.timedelta(days=3)
    assert agreed < by_frequency
    visit = helpers.start(w, child_id)
    helpers.complete(w, visit, definition(app), day=visit_day)
    assert helpers.save(w, visit, "actions", actions(TODAY, "open", agreed)).status_code == 302
    assert helpers.submit(w, visit).status_code == 302
    summary = helpers.page(w.get(f"/children/{child_id}/handover-summary"))
    due = next(r for r in summary.select(".govuk-summary-list__row") if "Next visit due" in r.get_text())
    assert f"{agreed.day} {agreed:%B %Y}" in due.get_text()

    # A later agreed date does not push the visit past the plan's frequency.
    later = helpers.start(w, child_id)
    helpers.complete(w, later, definition(app), day=TODAY)
    assert helpers.save(w, later, "actions", actions(TODAY, "open", TODAY + dt.timedelta(days=40))).status_code == 302
    assert helpers.submit(w, later).status_code == 302
    summary = helpers.page(w.get(f"/children/{child_id}/handover-summary"))
    due = next(r for r in summary.select(".govuk-summary-list__row") if "Next visit due" in r.get_text())
    frequency = add_working_days(TODAY, 10)
    assert f"{frequency.day} {frequency:%B %Y}" in due.get_text()


# --- family history -----------------------------------------------------------------------------


def family_entry(**changes) -> dict:
    return {
        "kind": "children_removed",
        "about": "household",
        "summary": "An older brother was removed at six months and adopted.",
        "place": "Westshire Council (invented)",
        "from_date": ["4", "3", "2021"],
        "to_date": "",
        "source": "Westshire children's social care (invented)",
        "source_date": day_fields(TODAY - dt.timedelta(days=5)),
        **changes,
    }


def audit_actions(app, child_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(
                    AuditEvent.child_id == child_id,
                    AuditEvent.action.in_(("family_history_added", "family_history_changed", "family_history_removed")),
                )
                .order_by(AuditEvent.id)
            )
        )


def test_family_history_changes_are_audited_and_shown_under_changes_to_the_record(app, make, team_world):
    w, s, team, child = team_world["w"], team_world["s"], team_world["team"], team_world["child"]
    household = make.household(team)
    sibling = make.child(team, "Otto", "Invented", months=40, household=household)
    with app.app_context():
        db.session.get(Child, child.id).household_id = household.id
        db.session.commit()
    url = f"/children/{child.id}/family-history"

    # Bad input: an error summary, nothing stored.
    missing = w.post(f"{url}/new", data={"csrf_token": w.token, **family_entry(place="")})
    text = helpers.text_of(missing.get_data(as_text=True), ".govuk-error-summary")
    assert missing.status_code == 200 and "Enter where it was" in text
    backwards = family_entry(from_date=["4", "3", "2021"], to_date=["1", "1", "2020"])
    assert "The end date must be" in w.post(f"{url}/new", data={"csrf_token": w.token, **backwards}).get_data(
        as_text=True
    )
    assert count(app, FamilyHistoryEntry) == 0

    assert w.post(f"{url}/new", data={"csrf_token": w.token, **family_entry()}).status_code == 302
    with app.app_context():
        entry_id = db.session.scalar(select(FamilyHistoryEntry.id))
    page = w.get(url).get_data(as_text=True)
    assert "Previous children removed or on plans" in page and "An older brother was removed" in page
    # About the household: the brother's record shows it too, and so does every decision page.
    assert "An older brother was removed" in w.get(f"/children/{sibling.id}/family-history").get_data(as_text=True)
    summary = pack_text(w.get(f"/children/{child.id}/handover-summary").get_data(as_text=True))
    assert "Family history (1)" in summary and "Source: Westshire children's social care (invented)" in summary

    changed = family_entry(summary="An older brother was removed at six months; adopted in 2022.")
    assert w.post(f"{url}/{entry_id}", data={"csrf_token": w.token, **changed}).status_code == 302
    assert "adopted in 2022" in w.get(url).get_data(as_text=True)
    removed = w.post(f"{url}/{entry_id}/remove", data={"csrf_token": w.token})
    assert removed.status_code == 302, helpers.text_of(removed.get_data(as_text=True), "main")
    assert count(app, FamilyHistoryEntry) == 0

    assert audit_actions(app, child.id) == ["family_history_added", "family_history_changed", "family_history_removed"]
    record = helpers.page(w.get(f"/children/{child.id}?kind=record")).select("table.heat-chronology tbody tr")
    lines = [" ".join(r.get_text(" ", strip=True).split()) for r in record]
    assert any("Family history added: Previous children removed or on plans in Westshire" in x for x in lines)
    assert any("Family history changed" in x for x in lines)
    assert any("Family history removed" in x for x in lines)
    # Read-only for an auditor; the history PDF prints it.
    assert w.post(f"{url}/new", data={"csrf_token": w.token, **family_entry()}).status_code == 302
    assert "An older brother was removed" in pdf_text(s.get(f"/children/{child.id}/history.pdf"))
    reader = signed_in_client(app, make.user("auditor"))
    assert "An older brother" in reader.get(url).get_data(as_text=True)
    assert reader.get(f"{url}/new").status_code == 404


# --- the pack on the review page ---------------------------------------------------------------


def test_the_review_page_shows_unseen_adults_and_overdue_requests(app, team_world):
    w, s, child_id = team_world["w"], team_world["s"], team_world["child"].id
    adult = {
        "name": "Dean Madeup",
        "relationship": "father",
        "sex": "male",
        "residence": "lives_here",
        "cares_for_child": "yes",
        "parental_responsibility": "yes",
    }
    assert w.post(f"/children/{child_id}/adults/new", data={"csrf_token": w.token, **adult}).status_code == 302
    agency = {"name": "Eastshire health visiting (invented)", "out_of_area": "yes", "area": "Eastshire"}
    assert w.post(f"/children/{child_id}/agencies/new", data={"csrf_token": w.token, **agency}).status_code == 302
    page = w.get(f"/children/{child_id}/requests/new").get_data(as_text=True)
    agency_id = helpers.page(page).select("select[name=agency] option")[1]["value"]
    asked = TODAY - dt.timedelta(days=40)
    request = {"agency": agency_id, "asked_on": day_fields(asked), "what": "Health records."}
    assert w.post(f"/children/{child_id}/requests/new", data={"csrf_token": w.token, **request}).status_code == 302
    visit = submitted_visit(app, w, child_id, TODAY)

    pack = pack_text(s.get(f"/assessments/{visit}/review").get_data(as_text=True))
    assert "Dean Madeup (Father): lives here, never seen at a visit" in pack
    overdue = (TODAY - add_working_days(asked, 10)).days
    assert f"{overdue} days overdue Eastshire health visiting (invented) (out of area): Health records." in pack
    assert "Agencies involved (1)" in pack


def test_the_review_page_gives_the_complete_visit_before_the_one_under_review(app, team_world):
    w, s, child_id = team_world["w"], team_world["s"], team_world["child"].id
    first = submitted_visit(app, w, child_id, TODAY - dt.timedelta(days=7))
    pack = pack_text(s.get(f"/assessments/{first}/review").get_data(as_text=True))
    assert "Last complete visit before this one No complete visit recorded before this one." in pack

    red = submitted_visit(app, w, child_id, TODAY, grades={"general.smell": "5"})
    week_ago = TODAY - dt.timedelta(days=7)
    pack = pack_text(s.get(f"/assessments/{red}/review").get_data(as_text=True))
    assert f"Last complete visit before this one {week_ago.day} {week_ago:%B %Y}: Green" in pack
    # The earlier visit's own review still looks only before it, not at the later Red.
    assert "No complete visit recorded before this one." in pack_text(
        s.get(f"/assessments/{first}/review").get_data(as_text=True)
    )


# --- the demo shows it at once -----------------------------------------------------------------


def test_the_demo_refuses_lilys_step_down_and_shows_her_family_history(app):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        lily = db.session.scalar(select(Child).where(Child.first_name == "Lily"))
        change = db.session.scalar(select(PlanChange).where(PlanChange.child_id == lily.id))
    s = app.test_client()
    assert sign_in(s, "north-supervisor@example.org", DEMO_PASSWORD).status_code == 302
    s.token = csrf_token(s, "/caseload")
    page = s.get(f"/children/{lily.id}/plan-changes/{change.id}").get_data(as_text=True)
    assert "There has been no complete visit." in page
    pack = pack_text(page)
    assert "Family history (1)" in pack and "Previous child protection plans" in pack
    agree = {"csrf_token": s.token, "decision": "agreed", "rationale": "Agreed at supervision today."}
    assert "There is a problem" in s.post(f"/children/{lily.id}/plan-changes/{change.id}", data=agree).get_data(
        as_text=True
    )
    assert child_of(app, lily.id).plan_status == "cp"


def test_the_dashboard_names_the_ten_reds_waiting_longest_and_counts_them_all(app, make, team_world):
    """Issue 27: a list on the dashboard does not grow with the team. Eleven Reds waiting: the ten
    waiting longest are named, the count says eleven, and a supervisor is sent to the review queue
    (Red visits first) for the rest."""
    w, s = team_world["w"], team_world["s"]
    children = [team_world["child"]] + [make.child(team_world["team"], f"Rory{n}", "Invented") for n in range(10)]
    for child in children:
        submitted_visit(app, w, child.id, TODAY, grades={"general.smell": "5"})
    banner = helpers.page(s.get("/dashboard")).select_one(".heat-reds-waiting")
    text = " ".join(banner.get_text(" ", strip=True).split())
    assert "11 Red visits need action today." in text and "The 10 waiting longest:" in text
    assert len(banner.select("ul li")) == 10
    assert "Ivy Invented" in text and "Rory8 Invented" in text and "Rory9 Invented" not in text
    link = banner.find("a", string="See all 11 in the review queue")
    assert link is not None and link["href"] == "/reviews"
    assert "Rory9 Invented" in s.get("/reviews").get_data(as_text=True)
