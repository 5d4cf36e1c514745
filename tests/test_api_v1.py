"""The JSON API under /api/v1: its OpenAPI 3.1 document, bearer tokens (never the session),
scope, problem+json errors, audit rows and the per-token limit."""

from __future__ import annotations

import datetime as dt

import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from heat.extensions import db
from heat.models import ApiToken, AuditEvent, Child
from tests import helpers
from tests.test_assessment_flow import count, definition
from tests.test_cli_and_admin import run


def new_token(app, email: str, name: str = "Case system") -> str:
    result = run(app, "api-tokens", "create", "--email", email, "--name", name)
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api(app, team_world):
    """The team's supervisor's token, a plain client, and a submitted assessment of the team's child."""
    w = team_world["w"]
    assessment = helpers.start(w, team_world["child"].id)
    first_item = definition(app).domains[0].items[0].id
    helpers.complete(w, assessment, definition(app), grades={first_item: "5"})  # a Serious grade: Red, with reasons
    helpers.submit(w, assessment)
    token = new_token(app, team_world["supervisor"].email)
    return {"token": token, "client": app.test_client(), "assessment": assessment, **team_world}


def test_the_openapi_document_is_valid_openapi_3_1_and_describes_every_route(app):
    document = app.test_client().get("/api/v1/openapi.json").json
    validate(document)
    assert document["openapi"].startswith("3.1")
    described = {path for path in document["paths"]}
    routes = {
        rule.rule.removeprefix("/api/v1").replace("<int:child_id>", "{id}").replace("<int:assessment_id>", "{id}")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api_v1.openapi"
    }
    assert routes == described


def test_a_token_is_shown_once_and_stored_only_as_a_hash(app, api):
    with app.app_context():
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert api["token"].startswith("heat_") and api["token"] not in stored
    listing = run(app, "api-tokens", "list").output
    assert "Case system" in listing and api["token"] not in listing


def test_no_token_a_wrong_one_or_a_revoked_one_is_a_401_problem(app, api):
    client = api["client"]
    for headers in ({}, bearer("heat_not-a-real-token"), {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/children", headers=headers)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.json["status"] == 401 and response.json["title"] == "Unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    assert run(app, "api-tokens", "revoke", str(token_id)).exit_code == 0
    assert client.get("/api/v1/children", headers=bearer(api["token"])).status_code == 401


def test_a_session_cookie_is_never_enough_and_never_set(app, api):
    signed_in_client = api["s"]  # a supervisor signed in through the browser
    response = signed_in_client.get("/api/v1/children")
    assert response.status_code == 401
    ok = api["client"].get("/api/v1/children", headers=bearer(api["token"]))
    assert ok.status_code == 200 and "Set-Cookie" not in ok.headers


def test_the_token_acts_as_its_user_within_their_teams_scope(app, make, api):
    client, token, child = api["client"], api["token"], api["child"]
    other_team = make.team("Faraway")
    stranger = make.child(other_team, "Zed", "Elsewhere")
    listing = client.get("/api/v1/children", headers=bearer(token)).json
    assert [c["id"] for c in listing["items"]] == [child.id]
    assert listing["total"] == 1 and listing["next"] is None
    found = client.get(f"/api/v1/children?case_reference={child.reference}", headers=bearer(token)).json
    assert found["items"][0]["case_reference"] == child.reference
    assert client.get("/api/v1/children?case_reference=nothing", headers=bearer(token)).json["total"] == 0
    one = client.get(f"/api/v1/children/{child.id}", headers=bearer(token)).json
    assert one["first_name"] == "Ivy" and one["team"]["name"] == "Riverside"
    hidden = client.get(f"/api/v1/children/{stranger.id}", headers=bearer(token))
    assert hidden.status_code == 404 and hidden.mimetype == "application/problem+json"
    assert client.get(f"/api/v1/children/{stranger.id}/assessments", headers=bearer(token)).status_code == 404


@pytest.mark.pdf_renders
def test_assessments_with_grades_evidence_rating_reasons_decisions_and_the_stored_pdf(app, api):
    client, token = api["client"], api["token"]
    action = "Phoned the family's health visitor; home safety visit booked for today."  # a Red needs action today
    helpers.decide(api["s"], api["assessment"], "agreed", "Agreed at supervision.", action_today=action)
    listed = client.get(f"/api/v1/children/{api['child'].id}/assessments", headers=bearer(token)).json["items"]
    assert [a["id"] for a in listed] == [api["assessment"]]
    body = client.get(f"/api/v1/assessments/{api['assessment']}", headers=bearer(token)).json
    assert body["checklist_version"] and body["rating"] == "red"
    assert body["grades"] and {"item_id", "grade", "evidence_source", "evidence"} <= set(body["grades"][0])
    assert body["reasons"] and body["reasons"][0]["message"]
    assert (
        body["decisions"][0]["decision"] == "agreed" and body["decisions"][0]["rationale"] == "Agreed at supervision."
    )
    pdf = client.get(body["pdf_url"], headers=bearer(token))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    web = api["s"].get(f"/assessments/{api['assessment']}/pdf")
    assert web.data == pdf.data  # the same stored bytes


def test_adding_a_child_checks_as_the_form_does(app, api):
    client, token, team = api["client"], api["token"], api["team"]
    bad = client.post("/api/v1/children", json={"case_reference": "", "last_name": ""}, headers=bearer(token))
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    fields = {e["field"] for e in bad.json["errors"]}
    assert {"case_reference", "last_name", "date_of_birth", "address_line_1"} <= fields
    wrong_date = client.post("/api/v1/children", json={"date_of_birth": "31/31/2020"}, headers=bearer(token))
    assert wrong_date.status_code == 422
    assert client.post("/api/v1/children", data="not json", headers=bearer(token)).status_code == 400
    child = {
        "case_reference": "API-1",
        "first_name": "Quinn",
        "last_name": "Fabricated",
        "date_of_birth": "2025-01-02",
        "plan": "cin",
        "address": {"line_1": "5 Pretend Place", "postcode": "ZZ1 1AA", "area": "Northshire", "kind": "temporary"},
    }
    made = client.post("/api/v1/children", json=child, headers=bearer(token))
    assert made.status_code == 201, made.json
    assert made.json["team"]["id"] == team.id and made.json["address"]["kind"] == "temporary"
    assert made.headers["Location"].endswith(f"/api/v1/children/{made.json['id']}")
    again = client.post("/api/v1/children", json=child, headers=bearer(token))
    assert again.status_code == 422 and "already registered" in again.json["errors"][0]["detail"]
    twin = {**child, "case_reference": "API-2", "first_name": "Quin"}
    duplicate = client.post("/api/v1/children", json=twin, headers=bearer(token))
    assert duplicate.status_code == 409 and duplicate.json["possible_duplicates"] == [made.json["id"]]
    confirmed = client.post(
        "/api/v1/children", json={**twin, "confirm_possible_duplicate": True}, headers=bearer(token)
    )
    assert confirmed.status_code == 201
    practitioner = new_token(app, api["worker"].email, "Worker's script")
    assert client.post("/api/v1/children", json=child, headers=bearer(practitioner)).status_code == 403


@pytest.mark.pdf_renders
def test_every_call_writes_an_audit_row(app, api):
    client, token, child = api["client"], api["token"], api["child"]
    for url, action in [
        ("/api/v1/children", "api_children_listed"),
        (f"/api/v1/children/{child.id}", "api_child_viewed"),
        (f"/api/v1/children/{child.id}/assessments", "api_assessments_listed"),
        (f"/api/v1/assessments/{api['assessment']}", "api_assessment_viewed"),
        (f"/api/v1/assessments/{api['assessment']}/pdf", "assessment_pdf"),
    ]:
        before = count(app, AuditEvent, AuditEvent.action == action)
        assert client.get(url, headers=bearer(token)).status_code == 200, url
        assert count(app, AuditEvent, AuditEvent.action == action) == before + 1, url
    before = count(app, AuditEvent, AuditEvent.action == "api_unauthorized")
    client.get("/api/v1/children")
    assert count(app, AuditEvent, AuditEvent.action == "api_unauthorized") == before + 1


def test_requests_per_token_are_limited(app, api):
    client, token = api["client"], api["token"]
    limit = app.config["HEAT_API_PER_MINUTE"]
    app.config["HEAT_API_PER_MINUTE"] = 3
    try:
        codes = [client.get("/api/v1/children", headers=bearer(token)).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = client.get("/api/v1/children", headers=bearer(token))
        assert refused.mimetype == "application/problem+json" and int(refused.headers["Retry-After"]) > 0
        # another token of the same user has its own allowance
        other = new_token(app, api["supervisor"].email, "Second system")
        assert client.get("/api/v1/children", headers=bearer(other)).status_code == 200
    finally:
        app.config["HEAT_API_PER_MINUTE"] = limit


def test_an_unborn_child_through_the_api(app, api):
    due = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    made = api["client"].post(
        "/api/v1/children",
        json={
            "case_reference": "API-U",
            "last_name": "Notyet",
            "expected_date_of_birth": due,
            "address": {"line_1": "1 A Road"},
        },
        headers=bearer(api["token"]),
    )
    assert made.status_code == 201, made.json
    assert made.json["first_name"] is None and made.json["date_of_birth"] is None
    with app.app_context():
        assert (
            db.session.scalar(select(Child.expected_date_of_birth).where(Child.reference == "API-U")).isoformat() == due
        )
