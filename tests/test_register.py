"""The register: adding a child (born or unborn), duplicates, households, corrections, moves and
transfers between teams, as supervisors, practitioners and administrators see them."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader
from sqlalchemy import func, select

from heat.extensions import db
from heat.models import AuditEvent, Child, ChildAddress, ChronologyEntry, Transfer
from tests import helpers
from tests.test_assessment_flow import count, definition

TODAY = dt.date.today()


def _date(prefix: str, day: dt.date | None) -> dict:
    if day is None:
        return {}
    return {prefix: [str(day.day), str(day.month), str(day.year)]}


def child_form(client, team, **changes) -> dict:
    born = changes.pop("born", TODAY - dt.timedelta(days=400))
    expected = changes.pop("expected", None)
    data = {
        "csrf_token": client.token,
        "first_name": "Rowan",
        "last_name": "Madeup",
        "case_reference": "LCS-100001",
        "team_id": str(team.id),
        "allocated_worker_id": "",
        "plan_status": "cin",
        "address_line_1": "1 Invented Street",
        "town": "Testtown",
        "postcode": "zz11aa",
        "area": "Northshire Council",
        "kind": "family_home",
        **_date("date_of_birth", born),
        **_date("expected_date_of_birth", expected),
    }
    data.update(changes)
    return data


def children_named(app, last_name: str) -> list[Child]:
    with app.app_context():
        return list(db.session.scalars(select(Child).where(Child.last_name == last_name).order_by(Child.id)))


def test_a_supervisor_adds_a_child_with_the_labels_the_issue_names(app, team_world):
    s = team_world["s"]
    caseload = s.get("/caseload").get_data(as_text=True)
    assert "Add a child" in caseload
    page = s.get("/children/new").get_data(as_text=True)
    document = helpers.page(page)
    labels = {label.get_text(strip=True) for label in document.select("label, legend")}
    for wanted in ("First name", "Last name", "Date of birth", "Expected date of birth", "Case reference"):
        assert wanted in labels, wanted
    response = s.post("/children/new", data=child_form(s, team_world["team"]))
    assert response.status_code == 302
    [child] = children_named(app, "Madeup")
    assert response.headers["Location"].endswith(f"/children/{child.id}")
    assert (child.reference, child.team_id, child.plan_status) == ("LCS-100001", team_world["team"].id, "cin")
    with app.app_context():
        address = db.session.scalar(select(ChildAddress).where(ChildAddress.child_id == child.id))
        assert (address.postcode, address.area, address.is_move) == ("ZZ1 1AA", "Northshire Council", False)
    assert count(app, AuditEvent, AuditEvent.action == "child_registered", AuditEvent.child_id == child.id) == 1
    shown = s.get(f"/children/{child.id}").get_data(as_text=True)
    assert "1 Invented Street" in shown and "Registered in HEAT." in shown


def test_practitioners_cannot_add_children_and_administrators_add_to_any_team(app, make, signed_in, team_world):
    assert team_world["w"].get("/children/new").status_code == 404
    other = make.team("Elsewhere")
    admin = signed_in(make.user("admin"))
    assert "Add a child" in admin.get("/admin/users").get_data(as_text=True)
    response = admin.post("/children/new", data=child_form(admin, other, case_reference="LCS-200"))
    assert response.status_code == 302
    [child] = children_named(app, "Madeup")
    assert child.team_id == other.id


def test_bad_details_show_every_problem_and_store_nothing(app, team_world):
    s = team_world["s"]
    before = count(app, Child)
    data = child_form(s, team_world["team"], last_name="", case_reference="", born=None, postcode="NOT A CODE")
    response = s.post("/children/new", data=data)
    assert response.status_code == 200
    summary = helpers.text_of(response.get_data(as_text=True), ".govuk-error-summary")
    assert "Enter the last name" in summary
    assert "Enter the case reference" in summary
    assert "Enter the date of birth, or for an unborn baby the expected date of birth" in summary
    assert "Enter a real postcode" in summary
    future = s.post("/children/new", data=child_form(s, team_world["team"], born=TODAY + dt.timedelta(days=3)))
    assert "Date of birth must be today or in the past" in future.get_data(as_text=True)
    assert count(app, Child) == before


def test_the_same_case_reference_is_refused_and_a_likely_duplicate_needs_confirming(app, team_world):
    s, team = team_world["s"], team_world["team"]
    existing = team_world["child"]
    same_reference = s.post("/children/new", data=child_form(s, team, case_reference=existing.reference.lower()))
    refused = f"A child with case reference {existing.reference.lower()} is already registered"
    assert refused in same_reference.get_data(as_text=True)
    twin = child_form(
        s, team, first_name="Ivy-May", last_name=existing.last_name, born=existing.date_of_birth, case_reference="X-9"
    )
    response = s.post("/children/new", data=twin)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Possible duplicate" in html
    assert f'href="/children/{existing.id}"' in html  # a link to check the child already registered
    assert len(children_named(app, existing.last_name)) == 1
    confirmed = s.post("/children/new", data={**twin, "duplicates_confirmed": "yes"})
    assert confirmed.status_code == 302
    assert len(children_named(app, existing.last_name)) == 2


def test_an_unborn_baby_keeps_one_record_and_one_history_after_birth(app, team_world):
    s, w, team = team_world["s"], team_world["w"], team_world["team"]
    due = TODAY + dt.timedelta(days=60)
    response = s.post(
        "/children/new",
        data=child_form(s, team, first_name="", born=None, expected=due, case_reference="LCS-UNBORN"),
    )
    assert response.status_code == 302
    [baby] = children_named(app, "Madeup")
    assert baby.date_of_birth is None and baby.expected_date_of_birth == due
    page = s.get(f"/children/{baby.id}").get_data(as_text=True)
    assert "Baby Madeup" in page and "unborn" in page
    assert "Baby Madeup" in w.get("/caseload").get_data(as_text=True)
    # A pre-birth visit to the home, recorded against the same record.
    assessment = helpers.start(w, baby.id)
    helpers.complete(w, assessment, definition(app))
    helpers.submit(w, assessment)
    # The baby is born: the worker adds the name and date of birth.
    born = TODAY - dt.timedelta(days=1)
    details = {
        "csrf_token": w.token,
        "first_name": "Skye",
        "last_name": "Madeup",
        "case_reference": "LCS-UNBORN",
        "allocated_worker_id": "",
        **_date("date_of_birth", born),
        **_date("expected_date_of_birth", due),
    }
    assert w.post(f"/children/{baby.id}/details", data=details).status_code == 302
    [child] = children_named(app, "Madeup")
    assert child.id == baby.id and child.first_name == "Skye" and child.date_of_birth == born
    page = w.get(f"/children/{child.id}").get_data(as_text=True)
    assert "Skye Madeup" in page
    assert f"/assessments/{assessment}" in page  # the pre-birth visit is on the same history
    assert "First name: blank to Skye" in page and "Date of birth: blank to" in page
    assert count(app, AuditEvent, AuditEvent.action == "child_details_changed", AuditEvent.child_id == child.id) == 1


def test_siblings_living_together_share_a_household_and_one_visit(app, team_world):
    s, team, sibling = team_world["s"], team_world["team"], team_world["child"]
    data = child_form(s, team, case_reference="LCS-SIB", lives_with=sibling.reference)
    assert s.post("/children/new", data=data).status_code == 302
    [child] = children_named(app, "Madeup")
    with app.app_context():
        older = db.session.get(Child, sibling.id)
        assert child.household_id is not None and child.household_id == older.household_id
    start_page = s.get(f"/children/{child.id}/assessments/new").get_data(as_text=True)
    assert "Ivy Invented" in start_page and "Rowan Madeup" in start_page


def test_a_practitioner_corrects_their_own_teams_child_not_another_teams(app, make, signed_in, team_world):
    w, child = team_world["w"], team_world["child"]
    form = helpers.page(w.get(f"/children/{child.id}/details").get_data(as_text=True))
    assert form.select_one("input[name=first_name]")["value"] == "Ivy"
    data = {
        "csrf_token": w.token,
        "first_name": "Ivie",
        "last_name": child.last_name,
        "case_reference": child.reference,
        "allocated_worker_id": "",
        **_date("date_of_birth", child.date_of_birth),
    }
    assert w.post(f"/children/{child.id}/details", data=data).status_code == 302
    chronology = w.get(f"/children/{child.id}?kind=record").get_data(as_text=True)
    assert "First name: Ivy to Ivie" in chronology
    stranger = signed_in(make.user("practitioner", make.team("Far")))
    assert (
        stranger.post(f"/children/{child.id}/details", data={**data, "csrf_token": stranger.token}).status_code == 404
    )


def move_form(client, on: dt.date, area: str, **changes) -> dict:
    return {
        "csrf_token": client.token,
        "address_line_1": "Room 4, Invented Hostel",
        "town": "Othertown",
        "postcode": "ZZ9 1ZZ",
        "area": area,
        "kind": "supported",
        **_date("moved_on", on),
        **changes,
    }


def test_a_move_out_of_area_is_dated_in_the_chronology_with_a_prompt_to_ask_the_old_area(app, team_world):
    w, s, child = team_world["w"], team_world["s"], team_world["child"]
    first = w.post(f"/children/{child.id}/moves/new", data=move_form(w, TODAY - dt.timedelta(days=200), "Westshire"))
    assert first.status_code == 302  # the first address recorded: not a move
    response = w.post(
        f"/children/{child.id}/moves/new",
        data=move_form(w, TODAY - dt.timedelta(days=20), "Eastshire"),
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "The family moved from Westshire: request information from Westshire" in html
    with app.app_context():
        prompt = db.session.scalar(select(ChronologyEntry).where(ChronologyEntry.child_id == child.id))
        assert prompt.source_kind == "out_of_area" and "Request information from Westshire" in prompt.summary
        moves = db.session.scalar(
            select(func.count())
            .select_from(ChildAddress)
            .where(ChildAddress.child_id == child.id, ChildAddress.is_move)
        )
        assert moves == 1
    moves_only = w.get(f"/children/{child.id}?kind=move").get_data(as_text=True)
    assert "Moved home: Supported accommodation in Eastshire" in moves_only
    # The dashboard's filter finds the child; a move before the last 3 months would not.
    moved = s.get("/dashboard?show=moved").get_data(as_text=True)
    assert "Moved in the last 3 months" in moved and child.name in moved
    future = w.post(f"/children/{child.id}/moves/new", data=move_form(w, TODAY + dt.timedelta(days=2), "Eastshire"))
    assert "Date they moved must be today or in the past" in future.get_data(as_text=True)


def test_a_move_is_a_marked_line_with_its_date_on_the_trend_chart_in_page_and_pdf(app, team_world):
    w, child = team_world["w"], team_world["child"]
    for days_ago in (60, 10):
        assessment = helpers.start(w, child.id)
        helpers.complete(w, assessment, definition(app), day=TODAY - dt.timedelta(days=days_ago))
        helpers.submit(w, assessment)
    w.post(f"/children/{child.id}/moves/new", data=move_form(w, TODAY - dt.timedelta(days=90), "Westshire"))
    moved_on = TODAY - dt.timedelta(days=30)
    w.post(f"/children/{child.id}/moves/new", data=move_form(w, moved_on, "Westshire"))
    page = helpers.page(w.get(f"/children/{child.id}").get_data(as_text=True))
    chart = str(page.select_one("svg.heat-chart"))
    assert f"Moved {moved_on.day} {moved_on:%b %y}" in chart and 'stroke-dasharray="5 3"' in chart
    assert f"The family moved home on {moved_on.day} {moved_on:%B %Y}" in page.get_text()
    pdf = w.get(f"/children/{child.id}/history.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert f"Moved {moved_on.day} {moved_on:%b %y}" in text
    assert "Room 4, Invented Hostel" in text  # the address history


def test_a_transfer_before_and_after_acknowledgement_from_both_teams(app, make, signed_in, team_world):
    s, w, child = team_world["s"], team_world["w"], team_world["child"]
    other = make.team("Harbour")
    their_boss = signed_in(make.user("supervisor", other))
    their_worker = make.user("practitioner", other)
    assert w.get(f"/children/{child.id}/transfer").status_code == 404  # supervisors transfer
    missing_note = s.post(f"/children/{child.id}/transfer", data={"csrf_token": s.token, "to_team": str(other.id)})
    assert "Enter a note for the receiving team" in missing_note.get_data(as_text=True)
    sent = s.post(
        f"/children/{child.id}/transfer",
        data={"csrf_token": s.token, "to_team": str(other.id), "note": "Mother moved to the harbour estate."},
    )
    assert sent.status_code == 302 and "/handover-summary" in sent.headers["Location"]
    # Before acknowledgement: the sending team reads, and changes nothing.
    page = s.get(f"/children/{child.id}").get_data(as_text=True)
    assert "Transfer in: awaiting acknowledgement" in page and "Start a new assessment" not in page
    for url in (f"/children/{child.id}/plan", f"/children/{child.id}/details", f"/children/{child.id}/assessments/new"):
        assert w.get(url).status_code == 404, url
    # The receiving team sees it waiting, and can open the record.
    assert "Transfer in: awaiting acknowledgement" in their_boss.get("/caseload").get_data(as_text=True)
    waiting = their_boss.get("/transfers").get_data(as_text=True)
    assert child.name in waiting
    with app.app_context():
        transfer = db.session.scalar(select(Transfer).where(Transfer.child_id == child.id))
    ack_page = their_boss.get(f"/transfers/{transfer.id}").get_data(as_text=True)
    assert "Mother moved to the harbour estate." in ack_page and "Rooms never seen" in ack_page
    assert s.get(f"/transfers/{transfer.id}").status_code == 404  # not the sending team's to acknowledge
    no_worker = their_boss.post(f"/transfers/{transfer.id}", data={"csrf_token": their_boss.token, "to_worker": ""})
    assert "Select the new allocated worker" in no_worker.get_data(as_text=True)
    done = their_boss.post(
        f"/transfers/{transfer.id}", data={"csrf_token": their_boss.token, "to_worker": str(their_worker.id)}
    )
    assert done.status_code == 302
    # After: the sending team no longer sees the child; the receiving team has them, allocated.
    assert s.get(f"/children/{child.id}").status_code == 404
    assert w.get("/caseload").get_data(as_text=True).count(child.name) == 0
    page = their_boss.get(f"/children/{child.id}").get_data(as_text=True)
    assert "Transfer in: awaiting acknowledgement" not in page and their_worker.name in page
    assert "Transferred from Riverside to Harbour" in page and "Transfer acknowledged by Harbour" in page
    actions = {
        a
        for a in db_actions(app, child.id)
        if a in ("transfer_requested", "transfer_acknowledged", "handover_summary_viewed", "transfer_viewed")
    }
    assert {"transfer_requested", "transfer_acknowledged", "transfer_viewed"} <= actions
    pdf = their_boss.get(f"/children/{child.id}/history.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Transferred from Riverside to Harbour" in text and "Transfer acknowledged" in text


def db_actions(app, child_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.child_id == child_id)))


def test_a_handover_prints_a_summary_of_what_the_new_worker_needs(app, make, team_world):
    s, w, child = team_world["s"], team_world["w"], team_world["child"]
    assessment = helpers.start(w, child.id)
    helpers.complete(w, assessment, definition(app))
    helpers.submit(w, assessment)
    colleague = make.user("practitioner", team_world["team"])
    response = s.post(
        f"/children/{child.id}/handover",
        data={"csrf_token": s.token, "to_worker": str(colleague.id), "note": "Leaving the team."},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    for wanted in (
        "Handover summary",
        "Plan",
        "Latest rating",
        "Active flags",
        "Open actions",
        "Next visit due",
        "Rooms never seen",
    ):
        assert wanted in html, wanted
    pdf = s.get(f"/children/{child.id}/handover-summary.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Handover summary" in text and "Open actions" in text
