"""Issue 24 item 2: joint visits and grading agreement. A second practitioner grades a visit on
their own; neither sees the other's grades (pages, PDF, API, tablet sync) until both have
submitted; then both sets show side by side, and the team's agreement is on a page and the
command line."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from sqlalchemy import func, select

from heat.checklist.agreement import quadratic_kappa
from heat.extensions import db
from heat.models import Assessment, AuditEvent, Team
from tests import helpers
from tests.test_api_v1 import bearer, new_token
from tests.test_assessment_flow import definition
from tests.test_cli_and_admin import run


def audit_rows(app, action: str, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.user_id == user_id)
        )


def invite(first, assessment_id: int, second_id: int):
    return first.post(
        f"/assessments/{assessment_id}/joint/invite", data={"csrf_token": first.token, "second": str(second_id)}
    )


def grade_every_area(app, second, assessment_id: int, grades: dict[str, str]) -> list[str]:
    """The second practitioner completes every area their joint visit page lists; returns the areas."""
    listing = second.get(f"/assessments/{assessment_id}/joint").get_data(as_text=True)
    areas = re.findall(rf"/assessments/{assessment_id}/joint/([a-z_]+)\"", listing)
    assert areas
    for area in areas:
        data = helpers.domain_data(definition(app), area, grades)
        response = second.post(
            f"/assessments/{assessment_id}/joint/{area}", data={"csrf_token": second.token, "save": "x", **data}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return areas


def submit_grades(second, assessment_id: int):
    return second.post(f"/assessments/{assessment_id}/joint/submit", data={"csrf_token": second.token})


def joint_visit(app, world, second, first_grades: dict[str, str], second_grades: dict[str, str]) -> int:
    """A whole joint visit, both submitted."""
    w = world["w"]
    assessment = helpers.start(w, world["child"].id)
    assert invite(w, assessment, world["second"].id).status_code == 302
    grade_every_area(app, second, assessment, second_grades)
    assert submit_grades(second, assessment).status_code == 302
    helpers.complete(w, assessment, definition(app), grades=first_grades)
    assert helpers.submit(w, assessment).status_code == 302
    return assessment


@pytest.fixture
def world(app, make, signed_in, team_world):
    second = make.user("practitioner", team_world["team"])
    return {**team_world, "second": second, "s2": signed_in(second)}


def test_neither_sees_the_others_grades_until_both_have_submitted(app, make, signed_in, world):
    w, s2, child = world["w"], world["s2"], world["child"]
    items = [i.id for i in definition(app).domains[0].items]
    assessment = helpers.start(w, child.id)
    task_list = w.get(f"/assessments/{assessment}").get_data(as_text=True)
    assert "Invite a second practitioner to grade this visit" in task_list
    form = w.get(f"/assessments/{assessment}/joint/invite").get_data(as_text=True)
    offered = {tag["value"] for tag in helpers.page(form).select("input[name=second]")}
    assert offered == {str(world["second"].id)}  # the team's other practitioner, not yourself

    # Bad input: an error summary, and nobody is invited.
    refused = w.post(f"/assessments/{assessment}/joint/invite", data={"csrf_token": w.token, "second": "999999"})
    assert refused.status_code == 200 and "govuk-error-summary" in refused.get_data(as_text=True)
    assert "Joint visits to grade" not in s2.get("/caseload").get_data(as_text=True)
    assert invite(w, assessment, world["second"].id).status_code == 302
    assert "Joint visit." in w.get(f"/assessments/{assessment}").get_data(as_text=True)
    # The second practitioner finds it on their caseload.
    caseload = s2.get("/caseload").get_data(as_text=True)
    assert "Joint visits to grade" in caseload and f"/assessments/{assessment}/joint" in caseload

    # The first grades the first item 4; the second grades it 2 (and another item 3).
    helpers.complete(w, assessment, definition(app), grades={items[0]: "4"})
    areas = grade_every_area(app, s2, assessment, {items[0]: "2", items[1]: "3"})
    assert audit_rows(app, "joint_area_saved", world["second"].id) == len(areas)
    before = audit_rows(app, "section_viewed", world["second"].id)
    assert s2.get(f"/assessments/{assessment}/joint/{areas[0]}").status_code == 200
    assert audit_rows(app, "section_viewed", world["second"].id) == before + 1
    # Neither has submitted: the second sees nothing of the visit of record; the first cannot
    # open the second's grades.
    denied = audit_rows(app, "access_denied", world["second"].id)
    for url in (
        f"/assessments/{assessment}",
        f"/assessments/{assessment}/sections/{definition(app).domains[0].id}",
        f"/assessments/{assessment}/check",
    ):
        assert s2.get(url).status_code == 404, url
    assert audit_rows(app, "access_denied", world["second"].id) == denied + 3
    assert w.get(f"/assessments/{assessment}/joint").status_code == 404
    assert w.get(f"/assessments/{assessment}/joint/{definition(app).domains[0].id}").status_code == 404

    # The second submits; the first has not: still hidden both ways (pages, PDF, API, tablet sync).
    assert submit_grades(s2, assessment).status_code == 302
    waiting = s2.get(f"/assessments/{assessment}/joint").get_data(as_text=True)
    assert "You have submitted your grades" in waiting and "4 Serious" not in waiting
    assert "Joint visits to grade" not in s2.get("/caseload").get_data(as_text=True)
    assert w.get(f"/assessments/{assessment}/joint").status_code == 404
    assert helpers.submit(w, assessment).status_code == 302
    token = new_token(app, world["second"].email)
    api = app.test_client()
    # ... but a visit submitted by the first and not yet by the second stays hidden too: here the
    # second already submitted, so check a second joint visit for that order.
    later = helpers.start(w, child.id)
    assert invite(w, later, world["second"].id).status_code == 302
    helpers.complete(w, later, definition(app), grades={items[0]: "5"})
    assert helpers.submit(w, later).status_code == 302
    caseload = s2.get("/caseload").get_data(as_text=True)
    assert "Shown when you have both submitted the joint visit" in helpers.table_row(caseload, child.reference)
    for url in (f"/assessments/{later}", f"/assessments/{later}/pdf", f"/assessments/{later}/family-copy.pdf"):
        assert s2.get(url).status_code == 404, url
    assert api.get(f"/api/v1/assessments/{later}", headers=bearer(token)).status_code == 404
    assert api.get(f"/api/v1/assessments/{later}/pdf", headers=bearer(token)).status_code == 404
    listed = api.get(f"/api/v1/children/{child.id}/assessments", headers=bearer(token)).json["items"]
    assert later not in [a["id"] for a in listed] and assessment in [a["id"] for a in listed]
    child_page = s2.get(f"/children/{child.id}").get_data(as_text=True)
    assert f'/assessments/{later}"' not in child_page and f'/assessments/{assessment}"' in child_page
    sync = s2.post(
        f"/api/assessments/{later}/sections/{definition(app).domains[0].id}",
        data={"csrf_token": s2.token, "version": "1", "save": "x"},
    )
    assert sync.status_code == 404

    # Both submitted (the first visit): each sees both sets, side by side, the difference marked.
    viewed = audit_rows(app, "joint_visit_viewed", world["supervisor"].id)
    for client in (w, s2, world["s"]):
        response = client.get(f"/assessments/{assessment}/joint")
        assert response.status_code == 200
        row = helpers.table_row(response.get_data(as_text=True), definition(app).domains[0].items[0].text)
        assert "Different" in row and "4 Serious" in row and "2 Adequate" in row
    assert audit_rows(app, "joint_visit_viewed", world["supervisor"].id) == viewed + 1
    assert s2.get(f"/assessments/{assessment}").status_code == 200
    assert api.get(f"/api/v1/assessments/{assessment}", headers=bearer(token)).status_code == 200
    assert "Compare both practitioners" in w.get(f"/assessments/{assessment}").get_data(as_text=True)
    # The visit of record alone counts: its rating is the first practitioner's.
    with app.app_context():
        assert db.session.get(Assessment, assessment).rating == "amber"  # the second graded it Green
    # Once submitted, the second's grades cannot be changed.
    area = definition(app).domains[0].id
    assert s2.get(f"/assessments/{assessment}/joint/{area}").status_code == 404


def test_another_team_cannot_be_invited_nor_grade(app, make, signed_in, world):
    w = world["w"]
    stranger = make.user("practitioner", make.team())
    assessment = helpers.start(w, world["child"].id)
    refused = invite(w, assessment, stranger.id)
    assert refused.status_code == 200 and "govuk-error-summary" in refused.get_data(as_text=True)
    assert invite(world["s2"], assessment, world["worker"].id).status_code == 404  # not theirs to invite for
    assert invite(w, assessment, world["second"].id).status_code == 302
    assert invite(w, assessment, world["second"].id).status_code == 404  # one second practitioner per visit
    assert signed_in(stranger).get(f"/assessments/{assessment}/joint").status_code == 404


@pytest.fixture
def two_joint_visits(app, world):
    """Two joint visits of the Riverside team: they differ on two items at the first, one at the second."""
    items = [i.id for d in definition(app).domains for i in d.items]
    first = joint_visit(app, world, world["s2"], {items[0]: "4", items[1]: "1"}, {items[0]: "2", items[1]: "1"})
    second = joint_visit(app, world, world["s2"], {items[2]: "3"}, {items[2]: "2", items[3]: "NS"})
    return {**world, "visits": (first, second), "items": items}


def test_joint_grades_csv_and_agreement_json(app, two_joint_visits):
    w = two_joint_visits
    first, second = w["visits"]
    items = w["items"]
    result = run(app, "practice", "joint-grades", "--team", "Riverside")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == ["visit_id", "item_id", "first_grade", "second_grade"]
    body = rows[1:]
    assert [str(first), items[0], "4", "2"] in body
    assert [str(first), items[1], "1", "1"] in body
    assert [str(second), items[2], "3", "2"] in body
    # An item one of the two did not grade 1-5 (Not seen) is not a pair.
    assert not any(r[0] == str(second) and r[1] == items[3] for r in body)
    with app.app_context():
        asked = {
            v: {i for i, g in db.session.get(Assessment, v).grade_map.items() if g in "12345"} for v in (first, second)
        }
    assert len(body) == len(asked[first]) + len(asked[second]) - 1
    assert sum(r[2] != r[3] for r in body) == 2

    result = run(app, "practice", "agreement", "--team", "Riverside", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["team"] == "Riverside" and figures["joint_visits"] == 2
    overall = figures["overall"]
    assert overall["pairs"] == len(body)
    expected = quadratic_kappa([int(r[2]) for r in body], [int(r[3]) for r in body])
    assert overall["kappa"] == pytest.approx(expected, abs=0.001)
    assert overall["low"] <= overall["kappa"] <= overall["high"]
    by_item = {a["key"]: a for a in figures["items"]}
    assert by_item[items[0]]["pairs"] == 2
    assert [a["pairs"] for a in figures["practitioner_pairs"]] == [len(body)]
    assert sum(a["pairs"] for a in figures["areas"]) == len(body)
    assert figures["grade_descriptions_to_review"] == []  # no item has 10 pairs yet

    assert run(app, "practice", "agreement", "--team", "Nowhere").exit_code != 0


def test_the_agreement_page_for_supervisors_and_auditors(app, make, signed_in, two_joint_visits):
    w = two_joint_visits
    page = w["s"].get("/practice/agreement")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Riverside team" in html and "Grade descriptions to review" in html
    assert (
        helpers.table_row(html, f"{w['worker'].name}")
        and "from every joint visit both have submitted (2 visits)" in html
    )
    assert audit_rows(app, "agreement_viewed", w["supervisor"].id) == 1
    assert w["w"].get("/practice/agreement").status_code == 404  # practitioners: not this page

    auditor = signed_in(make.user("auditor"))
    other = make.team("Other")
    with app.app_context():
        riverside = db.session.scalar(select(Team.id).where(Team.name == "Riverside"))
    assert "Every team" in auditor.get("/practice/agreement").get_data(as_text=True)
    chosen = auditor.get(f"/practice/agreement?team={riverside}").get_data(as_text=True)
    assert "(2 visits)" in chosen
    assert "No joint visits yet" in auditor.get(f"/practice/agreement?team={other.id}").get_data(as_text=True)


def test_the_dashboard_holds_back_the_visit_of_records_rating_from_the_second_practitioner(app, world):
    w, s2, child = world["w"], world["s2"], world["child"]
    assessment = helpers.start(w, child.id)
    assert invite(w, assessment, world["second"].id).status_code == 302
    helpers.complete(w, assessment, definition(app), grades={"general.smell": "5"})
    assert helpers.submit(w, assessment).status_code == 302

    def row(client) -> str:
        rows = helpers.page(client.get("/dashboard")).select("table tbody tr")
        found = next(r for r in rows if child.name in r.get_text(" "))
        return " ".join(found.get_text(" ", strip=True).split())

    assert "Red" in row(w)
    hidden = row(s2)
    assert "Shown when you have both submitted the joint visit" in hidden and "Red" not in hidden
    grade_every_area(app, s2, assessment, {})
    assert submit_grades(s2, assessment).status_code == 302
    assert "Red" in row(s2)
