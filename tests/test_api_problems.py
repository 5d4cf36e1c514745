"""Issue 22, findings 10 and 12: everything under /api/v1 answers application/problem+json (unknown
paths, ids that are not ids, methods a route does not take, bodies that are too large, server
errors), and NUL or control characters in a body or a query string are a 400, never a 500."""

from __future__ import annotations

import pytest

from heat.models import AuditEvent, Child
from heat.services import access
from tests.test_api_v1 import bearer, new_token
from tests.test_assessment_flow import count

PROBLEM = "application/problem+json"


@pytest.fixture
def token(app, team_world) -> str:
    return new_token(app, team_world["supervisor"].email)


def is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == PROBLEM, response.mimetype
    body = response.json
    assert body["status"] == status and body["title"] and "detail" in body
    assert "<html" not in response.get_data(as_text=True).lower()
    return body


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("GET", "/api/v1/nothing-here", 404),
        ("GET", "/api/v1", 404),
        ("GET", "/api/v1/children/abc", 404),
        ("GET", "/api/v1/children/-1", 404),
        ("GET", f"/api/v1/children/{2**64}", 404),
        ("GET", "/api/v1/assessments/1.5/pdf", 404),
        ("DELETE", "/api/v1/children", 405),
        ("PUT", "/api/v1/children/1", 405),
        ("POST", "/api/v1/openapi.json", 405),
    ],
)
def test_unknown_paths_bad_ids_and_wrong_methods_are_problems(app, token, method, path, status):
    client = app.test_client()
    for headers in (bearer(token), {}):
        is_problem(client.open(path, method=method, headers=headers), status)
    if status == 405:
        assert "Allow" in client.open(path, method=method, headers=bearer(token)).headers


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/octet-stream"])
def test_a_body_over_the_limit_is_a_413_problem(app, token, content_type):
    body = b'{"last_name": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    answer = app.test_client().post(
        "/api/v1/children", data=body, headers={**bearer(token), "Content-Type": content_type}
    )
    is_problem(answer, 413)
    assert count(app, Child) == 1  # the team's own child only


def test_a_server_error_is_a_500_problem(another_app, make, monkeypatch, team_world):
    application = another_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    token = new_token(application, team_world["supervisor"].email)

    def broken(*args, **kwargs):
        raise RuntimeError("something broke")

    monkeypatch.setattr(access, "caseload_query", broken)
    answer = application.test_client().get("/api/v1/children", headers=bearer(token))
    body = is_problem(answer, 500)
    assert "something broke" not in body["detail"]
    # The HTML app keeps its own page.
    assert application.test_client().get("/no-such-page").mimetype == "text/html"


@pytest.mark.parametrize("bad", ["\x00", "LCS\x00-1", "\x07", "a\x1bb"])
def test_nul_or_control_characters_in_a_query_string_are_a_400_problem(app, token, bad):
    client = app.test_client()
    is_problem(client.get("/api/v1/children", query_string={"case_reference": bad}, headers=bearer(token)), 400)
    is_problem(client.get("/api/v1/children", query_string={bad: "x"}, headers=bearer(token)), 400)


@pytest.mark.parametrize(
    "field, value",
    [
        ("last_name", "Fab\x00ricated"),
        ("case_reference", "API\x00"),
        ("lives_with", "\x00"),
        ("address", {"line_1": "5 Pretend\x00 Place"}),
        ("first_name", "Qu\x0binn"),
    ],
)
def test_nul_or_control_characters_in_a_body_are_a_400_problem(app, token, field, value):
    body = {
        "case_reference": "API-NUL",
        "first_name": "Quinn",
        "last_name": "Fabricated",
        "date_of_birth": "2025-01-02",
        "address": {"line_1": "5 Pretend Place"},
        field: value,
    }
    answer = app.test_client().post("/api/v1/children", json=body, headers=bearer(token))
    assert "control characters" in is_problem(answer, 400)["detail"]
    assert count(app, Child) == 1
    assert count(app, AuditEvent, AuditEvent.action == "api_child_added") == 0
