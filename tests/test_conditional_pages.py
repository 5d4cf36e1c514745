"""The pages a tablet keeps of an assessment (task list, sections, check answers) carry a validator
(ETag): asked again with it, the server answers 304 while the page would show the same, so the
tablet keeps its copy and nothing is downloaded; after a save by anyone, for another user or a new
session, it sends the page again. Without conditional headers (no JavaScript) nothing changes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from heat.extensions import db
from heat.models import AuditEvent
from tests import helpers
from tests.conftest import signed_in_client
from tests.test_assessment_flow import definition
from tests.test_offline_saves import fields_of, replay


@pytest.fixture
def visit(team_world, make):
    """The practitioner's draft with its visit details saved, and a colleague on the same team."""
    client = team_world["w"]
    assessment_id = helpers.start(client, team_world["child"].id)
    assert helpers.save(client, assessment_id, "visit", helpers.visit_data()).status_code == 302
    colleague = make.user("practitioner", team_world["team"])
    return {**team_world, "assessment": assessment_id, "colleague": colleague}


def kept_pages(assessment_id: int) -> list[str]:
    sections = [f"/assessments/{assessment_id}/sections/{s}" for s in ("visit", "people", "rooms")]
    return [f"/assessments/{assessment_id}", *sections, f"/assessments/{assessment_id}/check"]


def again(client, url: str, etag: str):
    return client.get(url, headers={"If-None-Match": etag})


def views(app, user_id: int, path: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.user_id == user_id, AuditEvent.detail == path)
        )


def test_an_unchanged_page_asked_with_its_validator_is_a_304_with_no_body_and_still_a_view(app, visit):
    client = visit["w"]
    for url in kept_pages(visit["assessment"]):
        first = client.get(url)
        etag = first.headers["ETag"]
        assert first.status_code == 200 and etag.startswith('W/"')

        second = again(client, url, etag)

        assert second.status_code == 304, url
        assert second.get_data() == b""
        assert second.headers["ETag"] == etag
        assert second.headers["X-Heat-User"] == first.headers["X-Heat-User"]  # the tablet checks whose it is
    section = f"/assessments/{visit['assessment']}/sections/people"
    before = views(app, visit["worker"].id, section)
    assert again(client, section, client.get(section).headers["ETag"]).status_code == 304
    assert views(app, visit["worker"].id, section) == before + 2  # the 200 and the 304: each one view row


def test_a_save_by_anyone_sends_the_pages_it_changed_again_and_no_other(app, visit):
    client, assessment_id = visit["w"], visit["assessment"]
    pages = kept_pages(assessment_id)
    etags = {url: client.get(url).headers["ETag"] for url in pages}
    colleague = signed_in_client(app, visit["colleague"])
    token = colleague.get("/api/session").json["csrf"]
    saved = replay(colleague, assessment_id, "people", fields_of(helpers.people_data(), "0", "colleague-1"), token)
    assert saved.json["status"] == "saved"

    answers = {url: again(client, url, etags[url]) for url in pages}

    changed = {url for url, response in answers.items() if response.status_code == 200}
    assert changed == {
        f"/assessments/{assessment_id}",
        f"/assessments/{assessment_id}/sections/people",
        f"/assessments/{assessment_id}/check",
    }
    for url in changed:
        assert answers[url].headers["ETag"] != etags[url]
        assert again(client, url, answers[url].headers["ETag"]).status_code == 304  # the new copy is current
    assert "Mother (invented)" in answers[f"/assessments/{assessment_id}/sections/people"].get_data(as_text=True)
    assert {answers[url].status_code for url in set(pages) - changed} == {304}


def test_another_users_validator_never_gets_a_304_of_their_page(app, visit):
    url = f"/assessments/{visit['assessment']}/sections/visit"
    mine = visit["w"].get(url).headers["ETag"]
    colleague = signed_in_client(app, visit["colleague"])

    theirs = again(colleague, url, mine)

    assert theirs.status_code == 200
    assert theirs.headers["ETag"] != mine
    assert theirs.headers["X-Heat-User"] != visit["w"].get(url).headers["X-Heat-User"]


def test_a_new_session_gets_the_page_again_so_no_copy_holds_a_refused_token(app, visit):
    url = f"/assessments/{visit['assessment']}/sections/people"
    etag = visit["w"].get(url).headers["ETag"]
    signed_in_again = signed_in_client(app, visit["worker"])  # a new session, a new CSRF secret

    answer = again(signed_in_again, url, etag)

    assert answer.status_code == 200 and answer.headers["ETag"] != etag


def test_a_copy_confirmed_by_a_304_still_submits_its_form(app, visit):
    client, assessment_id = visit["w"], visit["assessment"]
    url = helpers.section_url(assessment_id, "people")
    copy = client.get(url)
    html = copy.get_data(as_text=True)
    assert again(client, url, copy.headers["ETag"]).status_code == 304
    assert again(client, url, copy.headers["ETag"]).status_code == 304

    posted = client.post(
        url,
        data={
            "csrf_token": helpers.field_value(html, "csrf_token"),  # the copy's own token, not a fresh one
            "version": helpers.field_value(html, "version"),
            "save_key": helpers.field_value(html, "save_key"),
            "resume": helpers.field_value(html, "resume"),
            "save": "x",
            **helpers.people_data(),
        },
    )

    assert posted.status_code == 302, posted.get_data(as_text=True)[:2000]
    assert posted.headers["Location"].endswith(f"/assessments/{assessment_id}/sections/rooms")
    assert again(client, url, copy.headers["ETag"]).status_code == 200  # saved: the copy is out of date


def test_a_waiting_message_is_never_answered_with_a_copy_that_lacks_it(app, visit):
    client = visit["w"]
    url = f"/assessments/{visit['assessment']}"
    etag = client.get(url).headers["ETag"]
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "An invented message for this page")]

    answer = again(client, url, etag)

    assert answer.status_code == 200
    assert "An invented message for this page" in answer.get_data(as_text=True)


def test_without_conditional_headers_every_page_comes_whole_and_the_visit_works(app, visit):
    client, assessment_id = visit["w"], visit["assessment"]
    for url in kept_pages(assessment_id):
        assert [client.get(url).status_code for _ in range(2)] == [200, 200]
    helpers.complete(client, assessment_id, definition(app))
    assert helpers.submit(client, assessment_id).status_code == 302
    result = client.get(f"/assessments/{assessment_id}", headers={"If-None-Match": "*"})
    assert result.status_code == 200 and "ETag" not in result.headers  # the result is not a kept page
