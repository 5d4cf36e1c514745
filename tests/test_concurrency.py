"""Twenty practitioners at once: overlapping requests against a real server (threads, not mocks)
on SQLite and PostgreSQL. Page views never fail while others save; a retried save, start or
submit with the same key is applied once and answered as the first was; a real conflict is
still a conflict; the error page always renders."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from heat.extensions import db
from heat.models import Assessment, AuditEvent, SectionSave, User
from tests import helpers
from tests.helpers import field_value, page
from tests.live import Browser, all_at_once, serving
from tests.test_assessment_flow import count, definition, stored


@pytest.fixture
def team_of_four(app, make):
    team = make.team()
    workers = [make.user("practitioner", team) for _ in range(4)]
    children = [make.child(team, "Kit", f"Concurrent{n}") for n in range(4)]
    return team, workers, children


def open_section(browser: Browser, assessment_id: int, section_id: str) -> dict:
    html = browser.get(helpers.section_url(assessment_id, section_id)).body
    return {"version": field_value(html, "version"), "save_key": field_value(html, "save_key")}


def test_page_views_never_fail_while_others_save(app, team_of_four):
    _, workers, children = team_of_four
    with serving(app) as port:
        browsers = [Browser(port).sign_in(w.email) for w in workers]
        drafts = []
        for browser, child in zip(browsers, children, strict=True):
            key = field_value(browser.get(f"/children/{child.id}/assessments/new").body, "start_key")
            started = browser.post(f"/children/{child.id}/assessments/new", {"start_key": key, "children": [child.id]})
            drafts.append(int(started.location.rstrip("/").split("/")[-1]))
        readers = [Browser(port).sign_in(w.email) for w in workers[:2]]
        kitchen = helpers.domain_data(definition(app), "kitchen")

        def saver(browser, assessment_id):
            def run():
                statuses = []
                for _ in range(6):
                    seen = open_section(browser, assessment_id, "kitchen")
                    statuses.append(
                        browser.post(
                            helpers.section_url(assessment_id, "kitchen"), {**seen, "save": "x", **kitchen}
                        ).status
                    )
                return statuses

            return run

        def reader(browser, assessment_id, child_id):
            def run():
                return [
                    browser.get(path).status
                    for _ in range(4)
                    for path in (f"/assessments/{assessment_id}", f"/children/{child_id}", "/caseload")
                ]

            return run

        results = all_at_once(
            *(saver(b, a) for b, a in zip(browsers, drafts, strict=True)),
            *(reader(b, drafts[i], children[i].id) for i, b in enumerate(readers)),
        )
    saves, reads = results[:4], results[4:]
    assert all(status == 302 for statuses in saves for status in statuses), saves
    assert all(status == 200 for statuses in reads for status in statuses), reads
    assert count(app, SectionSave) == 24
    assert count(app, AuditEvent, AuditEvent.action == "assessment_viewed") == 8


def test_a_retried_save_is_applied_once_and_answered_as_the_first(app, team_of_four):
    _, workers, children = team_of_four
    with serving(app) as port:
        browser = Browser(port).sign_in(workers[0].email)
        key = field_value(browser.get(f"/children/{children[0].id}/assessments/new").body, "start_key")
        started = browser.post(
            f"/children/{children[0].id}/assessments/new", {"start_key": key, "children": [children[0].id]}
        )
        assessment_id = int(started.location.rstrip("/").split("/")[-1])
        seen = open_section(browser, assessment_id, "kitchen")
        fields = {**seen, "save": "x", **helpers.domain_data(definition(app), "kitchen", default="3")}
        # The same save sent three times at once (a flaky connection), then once more later.
        replies = all_at_once(*(lambda: browser.post(helpers.section_url(assessment_id, "kitchen"), fields),) * 3)
        later = browser.post(helpers.section_url(assessment_id, "kitchen"), fields)
    assert {r.status for r in replies} == {302} and later.status == 302
    assert {r.location for r in [*replies, later]} == {f"/assessments/{assessment_id}/sections/bathing"}
    assert count(app, SectionSave, SectionSave.assessment_id == assessment_id) == 1
    record = stored(app, assessment_id)
    assert record.section_versions == {"kitchen": 1}
    assert set(record.grade_map.values()) == {"3"}


def test_a_retried_start_makes_one_draft(app, team_of_four):
    _, workers, children = team_of_four
    with serving(app) as port:
        browser = Browser(port).sign_in(workers[0].email)
        path = f"/children/{children[0].id}/assessments/new"
        key = field_value(browser.get(path).body, "start_key")
        fields = {"start_key": key, "children": [children[0].id]}
        replies = all_at_once(*(lambda: browser.post(path, fields),) * 4)
    assert {r.status for r in replies} == {302}
    assert len({r.location for r in replies}) == 1
    assert count(app, Assessment, Assessment.start_key == key) == 1


def test_a_retried_submit_records_one_submission_and_answers_every_copy(app, make, signed_in, team_of_four):
    _, workers, children = team_of_four
    worker = signed_in(workers[0])
    assessment_id = helpers.start(worker, children[0].id)
    helpers.complete(worker, assessment_id, definition(app))
    with serving(app) as port:
        browser = Browser(port).sign_in(workers[0].email)
        check = browser.get(f"/assessments/{assessment_id}/check").body
        fields = {"version": field_value(check, "version"), "submission_key": field_value(check, "submission_key")}
        replies = all_at_once(*(lambda: browser.post(f"/assessments/{assessment_id}/submit", fields),) * 5)
    assert {r.status for r in replies} == {302}, [r.status for r in replies]
    assert {r.location for r in replies} == {f"/assessments/{assessment_id}/submitted"}
    record = stored(app, assessment_id)
    assert record.status == "submitted" and record.submission_key == fields["submission_key"]
    submitted = (AuditEvent.action == "assessment_submitted", AuditEvent.assessment_id == assessment_id)
    assert count(app, AuditEvent, *submitted) == 1


def test_saves_of_different_sections_never_conflict_and_the_same_section_does(app, team_of_four):
    _, workers, children = team_of_four
    with serving(app) as port:
        first, second = Browser(port).sign_in(workers[0].email), Browser(port).sign_in(workers[1].email)
        key = field_value(first.get(f"/children/{children[0].id}/assessments/new").body, "start_key")
        started = first.post(
            f"/children/{children[0].id}/assessments/new", {"start_key": key, "children": [children[0].id]}
        )
        assessment_id = int(started.location.rstrip("/").split("/")[-1])
        kitchen_1 = open_section(first, assessment_id, "kitchen")
        sleep_2 = open_section(second, assessment_id, "sleep")
        kitchen_2 = open_section(second, assessment_id, "kitchen")
        replies = all_at_once(
            lambda: first.post(
                helpers.section_url(assessment_id, "kitchen"),
                {**kitchen_1, "save": "x", **helpers.domain_data(definition(app), "kitchen", default="2")},
            ),
            lambda: second.post(
                helpers.section_url(assessment_id, "sleep"),
                {**sleep_2, "save": "x", **helpers.domain_data(definition(app), "sleep", default="1")},
            ),
        )
        assert [r.status for r in replies] == [302, 302]
        # The second person's kitchen page was opened before the first person saved the kitchen.
        lost = second.post(
            helpers.section_url(assessment_id, "kitchen"),
            {**kitchen_2, "save": "x", **helpers.domain_data(definition(app), "kitchen", default="4")},
        )
        assert lost.status == 409
        conflict = page(lost.body)
        differing = conflict.select("tr.heat-conflict__differs")
        assert differing and all("4 Serious" in row.text and "2 Adequate" in row.text for row in differing)
        assert conflict.find("button", string="Keep my answers") is not None
        # Keeping my answers is one action: the form on the conflict page sends them again.
        form = conflict.find("form", attrs={"action": helpers.section_url(assessment_id, "kitchen")})
        fields = [(i["name"], i["value"]) for i in form.find_all("input") if i["name"] != "csrf_token"]
        kept = second.post(helpers.section_url(assessment_id, "kitchen"), [*fields, ("save", "x")])
        assert kept.status == 302, helpers.text_of(kept.body, ".govuk-error-summary") if kept.status == 200 else kept
    grades = stored(app, assessment_id).grade_map
    assert {grades[i.id] for i in definition(app).domain("kitchen").items} == {"4"}
    assert {grades[i.id] for i in definition(app).domain("sleep").items} == {"1"}


def test_the_error_page_renders_after_a_database_error(another_app, make):
    """A failed flush leaves the session needing a rollback; the 500 page must still render,
    with every security header, and without touching the database."""
    broken = another_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @broken.route("/test-only/duplicate-user")
    def duplicate_user():
        existing = db.session.scalars(select(User)).first()
        db.session.add(User(email=existing.email, name="Copy", role="practitioner", password_hash="x"))
        db.session.flush()  # unique email: IntegrityError
        return "not reached"

    make.user("practitioner", make.team())
    response = broken.test_client().get("/test-only/duplicate-user")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Sorry, there is a problem with the service" in helpers.text_of(html, "h1")
    for header in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"):
        assert header in response.headers
    assert response.headers["Cache-Control"] == "no-store"
