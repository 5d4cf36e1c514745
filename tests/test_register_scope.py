"""Issue 22: every lookup by case reference, name or date of birth is scoped like a lookup by id.
Another team's child is never joined, named, shown or changed through "Lives with", the duplicate
check, an import or the API."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from heat.extensions import db
from heat.models import AuditEvent, Child, Household
from tests import helpers
from tests.test_api_v1 import bearer, new_token
from tests.test_assessment_flow import count
from tests.test_register import _date, child_form, children_named


def _households(app) -> dict[int, int | None]:
    with app.app_context():
        return dict(db.session.execute(select(Child.id, Child.household_id)).tuples().all())


def test_lives_with_another_teams_child_is_refused_on_the_details_page(app, make, team_world):
    """Finding 1: a worker names another team's child under "Lives with"."""
    w, child = team_world["w"], team_world["child"]
    south = make.team("South")
    leo = make.child(south, "Leo", "Walsh", household=make.household(south))
    before = _households(app)
    data = {
        "csrf_token": w.token,
        "first_name": child.first_name,
        "last_name": child.last_name,
        "case_reference": child.reference,
        "allocated_worker_id": "",
        "lives_with": leo.reference.lower(),
        **_date("date_of_birth", child.date_of_birth),
    }
    response = w.post(f"/children/{child.id}/details", data=data)
    assert response.status_code == 200
    document = helpers.page(response)
    summary = document.select_one(".govuk-error-summary").get_text(" ", strip=True)
    assert f"No child you can see has case reference {leo.reference.lower()}" in summary
    assert "Walsh" not in response.get_data(as_text=True)
    assert _households(app) == before  # nothing stored
    with app.app_context():
        assert db.session.scalar(select(Household.team_id).where(Household.id == leo.household_id)) == south.id


def test_lives_with_another_teams_child_is_refused_when_adding_and_through_the_api(app, make, team_world):
    s, team = team_world["s"], team_world["team"]
    south = make.team("South")
    leo = make.child(south, "Leo", "Walsh")
    form = s.post("/children/new", data=child_form(s, team, case_reference="LCS-JOIN", lives_with=leo.reference))
    assert f"No child you can see has case reference {leo.reference}" in form.get_data(as_text=True)
    assert children_named(app, "Madeup") == []
    token = new_token(app, team_world["supervisor"].email)
    body = {
        "case_reference": "API-JOIN",
        "first_name": "Quinn",
        "last_name": "Fabricated",
        "date_of_birth": "2025-01-02",
        "address": {"line_1": "5 Pretend Place"},
        "lives_with": leo.reference,
    }
    answer = app.test_client().post("/api/v1/children", json=body, headers=bearer(token))
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert {"field": "lives_with", "detail": f"No child you can see has case reference {leo.reference}"} in answer.json[
        "errors"
    ]
    assert children_named(app, "Fabricated") == []
    assert _households(app)[leo.id] is None
    # Their own team's child is still found, in any case.
    own = app.test_client().post(
        "/api/v1/children",
        json={**body, "lives_with": team_world["child"].reference.lower()},
        headers=bearer(token),
    )
    assert own.status_code == 201, own.json
    assert own.json["household_id"] is not None and own.json["household_id"] == _households(app)[team_world["child"].id]


def test_the_duplicate_check_names_only_children_the_user_may_see(app, make, signed_in, team_world):
    """Finding 2: a supervisor adding a child with another team's child's last name and birthday."""
    s, team = team_world["s"], team_world["team"]
    south = make.team("South")
    leo = make.child(south, "Leo", "Walsh")
    twin = child_form(s, team, last_name="Walsh", born=leo.date_of_birth, case_reference="LCS-W")
    response = s.post("/children/new", data=twin)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Possible duplicate" in html
    assert "Leo" not in html and leo.reference not in html and "South" not in html
    assert "1 of them is a child you cannot see" in html
    assert [c.id for c in children_named(app, "Walsh")] == [leo.id]  # nothing added
    token = new_token(app, team_world["supervisor"].email)
    body = {
        "case_reference": "API-W",
        "first_name": "Quinn",
        "last_name": "Walsh",
        "date_of_birth": leo.date_of_birth.isoformat(),
        "address": {"line_1": "5 Pretend Place"},
    }
    answer = app.test_client().post("/api/v1/children", json=body, headers=bearer(token))
    assert answer.status_code == 409 and answer.mimetype == "application/problem+json"
    assert answer.json["possible_duplicates"] == [] and answer.json["other_possible_duplicates"] == 1
    assert str(leo.id) not in str(answer.json["possible_duplicates"])
    # A child of their own team is named, with a link.
    mine = make.child(team, "Ada", "Walsh", months=3)
    again = s.post("/children/new", data=child_form(s, team, last_name="Walsh", born=mine.date_of_birth))
    assert f'href="/children/{mine.id}"' in again.get_data(as_text=True)
    assert "Leo" not in again.get_data(as_text=True)
    # An administrator sees nobody's records: told how many, never who.
    admin = signed_in(make.user("admin"))
    by_admin = admin.post("/children/new", data=child_form(admin, team, last_name="Walsh", born=leo.date_of_birth))
    text = by_admin.get_data(as_text=True)
    assert "Possible duplicate" in text and "Leo" not in text and leo.reference not in text
    assert count(app, AuditEvent, AuditEvent.child_id == leo.id) == 0


def test_a_households_children_are_one_teams(app, make, signed_in, team_world):
    """An administrator may join a household only within the child's own team."""
    admin = signed_in(make.user("admin"))
    south = make.team("South")
    leo = make.child(south, "Leo", "Walsh")
    data = child_form(admin, team_world["team"], case_reference="LCS-ADM", lives_with=leo.reference)
    assert f"No child you can see has case reference {leo.reference}" in admin.post(
        "/children/new", data=data
    ).get_data(as_text=True)
    same_team = child_form(admin, south, case_reference="LCS-ADM", lives_with=leo.reference, born=dt.date(2020, 1, 1))
    assert admin.post("/children/new", data=same_team).status_code == 302
