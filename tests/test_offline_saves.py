"""The server's side of offline working: the outbox's JSON saves and submissions, saves kept
across an ended session, `next`, what counts as activity, compressed pages and cached files."""

from __future__ import annotations

import base64
import datetime as dt
import time as real_time

import pytest
from sqlalchemy import event, select, update

from heat.extensions import db
from heat.models import Assessment, AuditEvent, PendingSave, SectionSave
from heat.services import pending
from tests import helpers
from tests.conftest import csrf_token, sign_in
from tests.test_assessment_flow import count, definition


@pytest.fixture
def draft(app, make, signed_in):
    team = make.team()
    worker = make.user("practitioner", team)
    client = signed_in(worker)
    return client, worker, helpers.start(client, make.child(team).id)


def api_token(client) -> str:
    return client.get("/api/session").json["csrf"]


def fields_of(data: dict, version: str, key: str, button: str = "save") -> list[list[str]]:
    pairs = [["version", version], ["save_key", key], [button, "x"]]
    for name, value in data.items():
        pairs += [[name, v] for v in value] if isinstance(value, list) else [[name, value]]
    return pairs


def replay(client, assessment_id, section_id, fields, token=None):
    return client.post(
        f"/api/assessments/{assessment_id}/sections/{section_id}",
        json={"fields": fields},
        headers={"X-CSRFToken": token or api_token(client)},
    )


def test_the_same_outbox_entry_replayed_twice_is_one_save(app, draft):
    client, _, assessment_id = draft
    fields = fields_of(helpers.visit_data(), "0", "tablet-key-1")
    first = replay(client, assessment_id, "visit", fields)
    second = replay(client, assessment_id, "visit", fields)
    assert first.status_code == second.status_code == 200
    assert first.json == second.json
    assert first.json["status"] == "saved"
    assert first.json["version"] == first.json["previous_version"] + 1
    assert first.json["next"] == f"/assessments/{assessment_id}/sections/people"
    assert count(app, SectionSave, SectionSave.assessment_id == assessment_id) == 1


def test_a_replay_is_checked_like_the_form_and_kept_with_its_messages(app, draft):
    client, worker, assessment_id = draft
    data = {**helpers.visit_data(), "visit_time": "25:99"}
    response = replay(client, assessment_id, "visit", fields_of(data, "0", "tablet-key-2"))
    assert response.status_code == 422
    assert response.json == {"status": "invalid", "url": f"/assessments/{assessment_id}/sections/visit"}
    assert count(app, SectionSave) == 0
    # The task list says it waits; the section shows it as typed, with the HTML form's message.
    task_list = client.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    assert "Answers not saved yet" in task_list
    page = client.get(f"/assessments/{assessment_id}/sections/visit").get_data(as_text=True)
    assert "There is a problem" in page
    assert helpers.text_of(page, ".govuk-error-summary") == helpers.text_of(
        helpers.save(client, assessment_id, "visit", data).get_data(as_text=True), ".govuk-error-summary"
    )
    assert "Not saved yet" in page
    assert 'value="25:99"' in page
    # Saved properly, it is no longer kept.
    assert helpers.save(client, assessment_id, "visit", helpers.visit_data()).status_code == 302
    assert count(app, PendingSave) == 0


def test_a_replay_overtaken_by_another_save_goes_to_the_conflict_page(app, draft):
    client, _, assessment_id = draft
    assert helpers.save(client, assessment_id, "visit", helpers.visit_data()).status_code == 302
    data = {**helpers.visit_data(), "visit_time": "08:05"}
    response = replay(client, assessment_id, "visit", fields_of(data, "0", "tablet-key-3"))
    assert response.status_code == 409
    page = client.get(f"/assessments/{assessment_id}/sections/visit")
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert "Visit details: two versions" in html
    assert "Discard my answers and open the saved version" in html
    assert 'value="08:05"' in html  # "Keep my answers" sends the tablet's answers again
    token = helpers.field_value(html, "csrf_token")
    client.post(f"/assessments/{assessment_id}/sections/visit/discard", data={"csrf_token": token})
    assert count(app, PendingSave) == 0
    assert client.get(f"/assessments/{assessment_id}/sections/visit").status_code == 200


def test_a_waiting_submission_replays_and_is_scored_on_the_server(app, draft):
    client, _, assessment_id = draft
    helpers.complete(client, assessment_id, definition(app))
    with app.app_context():
        version = db.session.get(Assessment, assessment_id).version
    answer = client.post(
        f"/api/assessments/{assessment_id}/submit",
        json={"fields": [["version", str(version)], ["submission_key", "tablet-submit"]]},
        headers={"X-CSRFToken": api_token(client)},
    )
    assert answer.status_code == 200
    assert answer.json == {"status": "submitted", "url": f"/assessments/{assessment_id}/submitted"}
    with app.app_context():
        assert db.session.get(Assessment, assessment_id).rating is not None


def test_replays_need_the_session_and_a_csrf_header(app, draft):
    client, _, assessment_id = draft
    fields = fields_of(helpers.visit_data(), "0", "tablet-key-4")
    assert client.post(f"/api/assessments/{assessment_id}/sections/visit", json={"fields": fields}).json == {
        "status": "csrf"
    }
    anonymous = app.test_client()
    assert anonymous.get("/api/session").status_code == 401
    assert count(app, SectionSave) == 0


def test_a_save_after_the_session_cookie_went_is_kept_for_its_practitioner(app, make, draft):
    client, worker, assessment_id = draft
    html = client.get(f"/assessments/{assessment_id}/sections/voice").get_data(as_text=True)
    form = {
        "csrf_token": helpers.field_value(html, "csrf_token"),
        "version": helpers.field_value(html, "version"),
        "save_key": helpers.field_value(html, "save_key"),
        "resume": helpers.field_value(html, "resume"),
        # The child's own voice (one field per child since 2026.4).
        helpers.page(html).select_one("textarea[name^=voice_]")["name"]: "Showed me her drawing.",
        "save_later": "x",
    }
    tablet = app.test_client()  # the cookie is gone
    response = tablet.post(f"/assessments/{assessment_id}/sections/voice", data=form)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/sign-in?next=/assessments/{assessment_id}/sections/voice"
    sign_in_page = tablet.get("/sign-in").get_data(as_text=True)
    assert "They have been kept" in sign_in_page
    with app.app_context():
        row = db.session.scalar(select(PendingSave))
        assert row.user_id == worker.id
        assert b"drawing" not in row.sealed  # encrypted at rest
    token = csrf_token(tablet, "/sign-in")
    signed = tablet.post(
        f"/sign-in?next=/assessments/{assessment_id}/sections/voice",
        data={"csrf_token": token, "email": worker.email, "password": "correct horse battery staple"},
    )
    assert signed.headers["Location"] == f"/assessments/{assessment_id}/sections/voice"
    page = tablet.get(signed.headers["Location"]).get_data(as_text=True)
    assert "Showed me her drawing." in page
    assert "not saved yet" in page

    # Another practitioner never gets it, and a forged or foreign resume token keeps nothing.
    other = make.user("practitioner", make.team("Elsewhere"))
    stranger = app.test_client()
    assert sign_in(stranger, other.email).status_code == 302
    assert count(app, PendingSave, PendingSave.user_id == other.id) == 0
    forged = app.test_client().post(
        f"/assessments/{assessment_id}/sections/voice", data={**form, "resume": form["resume"][:-2] + "xx"}
    )
    assert forged.status_code == 400
    assert count(app, PendingSave) == 1


def test_kept_saves_are_gone_after_24_hours(app, draft):
    client, worker, assessment_id = draft
    replay(client, assessment_id, "visit", fields_of({"visit_time": "99:99"}, "0", "k5"))
    with app.app_context():
        db.session.execute(update(PendingSave).values(expires_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
        db.session.commit()
        assert pending.purge() == 1
        db.session.commit()
    assert "Not saved yet" not in client.get(f"/assessments/{assessment_id}/sections/visit").get_data(as_text=True)


@pytest.mark.parametrize(
    "target, lands",
    [
        ("/caseload?page=2", "/caseload?page=2"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_is_honoured_for_same_site_paths_only(app, make, target, lands):
    worker = make.user("practitioner", make.team())
    client = app.test_client()
    token = csrf_token(client, "/sign-in")
    response = client.post(
        "/sign-in",
        query_string={"next": target},
        data={"csrf_token": token, "email": worker.email, "password": "correct horse battery staple"},
    )
    assert response.headers["Location"] == lands


def test_pages_copied_to_the_tablet_are_audited_as_such(app, draft):
    client, worker, assessment_id = draft
    client.get(f"/assessments/{assessment_id}", headers={"X-Heat-Background": "1"})
    client.get(f"/assessments/{assessment_id}")
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent.detail)
            .where(AuditEvent.action == "assessment_viewed", AuditEvent.assessment_id == assessment_id)
            .order_by(AuditEvent.id)
        ).all()
    assert rows == ["copied to the tablet for offline work", None]


def test_the_tablet_storing_pages_is_not_activity(app, monkeypatch, draft):
    client, _, assessment_id = draft
    start = real_time.time()
    monkeypatch.setattr("heat.security.time.time", lambda: start + 20 * 60)
    assert client.get(f"/assessments/{assessment_id}", headers={"X-Heat-Background": "1"}).status_code == 200
    monkeypatch.setattr("heat.security.time.time", lambda: start + 35 * 60)
    assert client.get("/caseload").status_code == 302  # idle since the practitioner's last request


@pytest.mark.assets
def test_pages_are_compressed_and_static_files_cached_for_a_year(app, draft):
    client, _, _ = draft
    page = client.get("/caseload", headers={"Accept-Encoding": "br, gzip"})
    assert page.headers["Content-Encoding"] == "br"
    assert page.headers["Cache-Control"] == "no-store"
    html = client.get("/caseload").get_data(as_text=True)
    css = helpers.page(html).select_one('link[rel="stylesheet"]')["href"]
    asset = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert asset.status_code == 200
    assert asset.headers["Content-Encoding"] == "gzip"
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    asset.close()  # WhiteNoise streams the file: the client closes it, as a server would
    worker = client.get("/sw.js")
    assert worker.headers["Cache-Control"] == "no-store"
    assert css in worker.get_data(as_text=True)


def test_a_new_assessment_drawn_for_the_tablet_is_never_kept_and_its_start_key_makes_one_draft(app, make, signed_in):
    """Issue 21 item 1: the pages of a new assessment for starting offline, from a draft that is
    never kept; sent later, the tablet's start key makes the draft once, for this child only."""
    team = make.team()
    worker = make.user("practitioner", team)
    child = make.child(team)
    client = signed_in(worker)
    kit = client.get(f"/children/{child.id}/assessments/new/offline")
    assert kit.status_code == 200
    pages = kit.json["pages"]
    assert kit.json["children"] == [str(child.id)] and kit.json["title"] == child.name
    assert "/assessments/__DRAFT__" in pages and "/assessments/__DRAFT__/check" in pages
    assert "/assessments/__DRAFT__/sections/visit" in pages and "/assessments/__DRAFT__/sections/kitchen" in pages
    assert 'data-heat-offline-assessment="__DRAFT__"' in pages["/assessments/__DRAFT__"]
    assert "Save and continue" in pages["/assessments/__DRAFT__/sections/kitchen"]
    assert count(app, Assessment) == 0
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "offline_start_stored")) is not None

    token = api_token(client)
    body = {"fields": [["start_key", "tablet-start-1"], ["children", str(child.id)]]}
    first = client.post(f"/api/children/{child.id}/assessments", json=body, headers={"X-CSRFToken": token})
    again = client.post(f"/api/children/{child.id}/assessments", json=body, headers={"X-CSRFToken": token})
    assert first.status_code == again.status_code == 200
    assert first.json == again.json and first.json["status"] == "started"
    assert count(app, Assessment) == 1
    with app.app_context():
        made = db.session.get(Assessment, int(first.json["assessment"]))
        assert made.start_key == "tablet-start-1" and [c.id for c in made.children] == [child.id]

    stranger = make.child(make.team("Another team"))
    refused = client.post(
        f"/api/children/{stranger.id}/assessments",
        json={"fields": [["start_key", "tablet-start-2"], ["children", str(stranger.id)]]},
        headers={"X-CSRFToken": token},
    )
    assert refused.status_code == 404
    no_key = client.post(
        f"/api/children/{child.id}/assessments",
        json={"fields": [["children", str(child.id)]]},
        headers={"X-CSRFToken": token},
    )
    assert no_key.status_code == 422 and count(app, Assessment) == 1


def test_drawing_a_new_assessment_for_the_tablet_writes_nothing_but_its_audit_row(app, make, signed_in):
    """The kit is drawn from a draft that is never written (a flushed and rolled-back draft held
    SQLite's write lock for the seconds its pages took to draw), yet it carries forward the
    actions still open at the child's last visit, as a started visit would."""
    team = make.team()
    child = make.child(team)
    client = signed_in(make.user("practitioner", team))
    earlier = helpers.start(client, child.id)
    helpers.complete(client, earlier, definition(app))
    helpers.submit(client, earlier)
    written: list[str] = []

    def note_writes(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            written.append(statement.split("(", 1)[0].strip())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note_writes)
    try:
        kit = client.get(f"/children/{child.id}/assessments/new/offline")
    finally:
        event.remove(engine, "before_cursor_execute", note_writes)
    assert kit.status_code == 200
    assert written == ["INSERT INTO audit_events"]
    actions = kit.json["pages"]["/assessments/__DRAFT__/sections/actions"]
    assert "Clear the stairs" in actions and "(carried forward)" in actions
    assert count(app, Assessment) == 1


def test_a_new_assessment_for_the_tablet_covers_the_children_of_the_household_chosen(app, make, signed_in):
    """A visit for several children, started offline: the pages drawn for the household's children
    together ask about each of them; a child of another household, or of another team, is refused."""
    team = make.team()
    worker = make.user("practitioner", team)
    home = make.household(team)
    baby = make.child(team, "Ava", months=8, household=home)
    sister = make.child(team, "Bea", months=40, household=home)
    elsewhere = make.child(team, "Cal")
    client = signed_in(worker)
    alone = client.get(f"/children/{baby.id}/assessments/new/offline")
    assert alone.json["children"] == [str(baby.id)]
    assert sorted(alone.json["household"]) == sorted([str(baby.id), str(sister.id)])
    both = client.get(f"/children/{baby.id}/assessments/new/offline?children={baby.id}&children={sister.id}")
    assert both.status_code == 200
    assert sorted(both.json["children"]) == sorted([str(baby.id), str(sister.id)])
    assert both.json["title"] == f"{baby.name}, {sister.name}"  # the youngest first, as online
    voice = both.json["pages"]["/assessments/__DRAFT__/sections/voice"]
    assert f'name="voice_{baby.id}"' in voice and f'name="voice_{sister.id}"' in voice
    assert f'name="voice_{sister.id}"' not in alone.json["pages"]["/assessments/__DRAFT__/sections/voice"]
    for other in (elsewhere, make.child(make.team("Another team"))):
        refused = client.get(f"/children/{baby.id}/assessments/new/offline?children={baby.id}&children={other.id}")
        assert refused.status_code == 404
    assert count(app, Assessment) == 0


def test_the_session_gives_the_tablet_a_key_for_its_own_user_only(app, make, signed_in):
    """Issue 21 item 5: the key that recovers a tablet's data after wrong passwords, given only to
    that user's live session: the same at every sign-in, another user's differs."""
    team = make.team()
    first, second = make.user("practitioner", team), make.user("practitioner", team)
    mine = signed_in(first).get("/api/session").json["key"]
    again = signed_in(first).get("/api/session").json["key"]
    theirs = signed_in(second).get("/api/session").json["key"]
    assert mine == again != theirs
    assert len(base64.urlsafe_b64decode(mine + "=")) == 32
    assert app.test_client().get("/api/session").status_code == 401
