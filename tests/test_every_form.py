"""Every form in the app, filled with anything at all (NUL and other control characters, bidi
overrides, huge numbers, very long text, nothing): a page or a refusal, never a 5xx. Runs on
SQLite and, with HEAT_TEST_ON_POSTGRES=1, on PostgreSQL (where NUL used to be a 500)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import helpers
from tests.conftest import csrf_token
from tests.test_access import world  # noqa: F401  (the fixture)

# Routes that end the sessions the test posts with, or turn off what later examples need.
LEAVE_OUT = {
    "/sign-out",
    "/account/sessions/end-others",
    "/admin/users/<int:user_id>/sessions/end",
    "/admin/users/<int:user_id>/two-step/reset",
}
AWKWARD = st.sampled_from(
    ["", "0", "-1", "99999999999999999999", "\u202e", "\x00", "a\x00b", "31", "2026", "NS", "x" * 5000, "é" * 300]
)
VALUES = st.one_of(st.text(max_size=200), AWKWARD)


def routes(app, ids: dict) -> list[tuple[str, str]]:
    """(role, url) of every route that takes a POST, with real ids filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule in LEAVE_OUT:
            continue
        url = re.sub(r"<(?:int:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule.rule)
        role = (
            "admin"
            if rule.rule.startswith("/admin")
            else "audit"
            if rule.rule.startswith(("/exports", "/audit"))
            else "anyone"
            if rule.rule.startswith("/sign-in")
            else "casework"
        )
        found.append((role, url))
    return sorted(found)


def field_names(client, url: str) -> list[str]:
    """The names the page's own forms use (a POST-only route gets a few likely ones)."""
    response = client.get(url)
    names = ["save", "version", "code", "reason", "decision", "note", "name"]
    if response.status_code == 200 and response.mimetype == "text/html":
        document = helpers.page(response)
        names += [
            tag.get("name") for tag in document.select("form input, form select, form textarea") if tag.get("name")
        ]
    return sorted(set(names) - {"csrf_token"})


@pytest.fixture
def every_form(app, make, signed_in, world):  # noqa: F811
    """Signed-in clients for each kind of user, and every POST route with its fields."""
    ids = {
        "child_id": world["child"],
        "assessment_id": world["draft"],
        "user_id": world["user"],
        "section_id": "kitchen",
        "export_id": 1,
        "change_id": world["change"],
        "session_id": 1,
        "number": 1,
        "transfer_id": world["transfer"],
        "adult_id": world["adult"],
        "request_id": world["request"],
        "address_id": world["address"],
        "entry_id": world["entry"],
        "case_id": world["case"],
    }
    clients = {
        "admin": signed_in(make.user("admin")),
        "casework": signed_in(make.user("supervisor", world["other"])),
        "audit": signed_in(make.user("auditor")),
        "anyone": app.test_client(),
    }
    clients["anyone"].token = csrf_token(clients["anyone"], "/sign-in")
    plan = [(role, url, field_names(clients[role], url)) for role, url in routes(app, ids)]
    section = next(names for _, url, names in plan if url.endswith("/sections/kitchen") and "/api/" not in url)
    assert len(plan) >= 20 and "comment_kitchen__food" in section  # the real forms were found
    return clients, plan


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_input_to_any_form_is_never_a_server_error(every_form, data):
    clients, plan = every_form
    role, url, names = data.draw(st.sampled_from(plan), label="route")
    client = clients[role]
    form = {name: data.draw(st.lists(VALUES, min_size=1, max_size=3), label=name) for name in names}
    response = client.post(url, data={"csrf_token": client.token, **form})
    assert response.status_code < 500, (url, form, response.status_code)
