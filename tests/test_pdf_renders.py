"""No PDF inside a request: a submission or a decision keeps its version and commits at once; the
worker renders the PDF from the snapshot and stores it with its SHA-256, byte for byte what
rendering it in the request gave. Until then every download says "The PDF is being prepared"
and looks again by itself. A render lost from the queue, or left running by a killed worker, is
queued again by the periodic task, once."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select, update

from heat import tasks
from heat.database import writing
from heat.extensions import db, huey
from heat.models import Assessment, AssessmentVersion, AuditEvent, User, utcnow
from heat.reports.pdf import render_pdf
from heat.services import versions
from tests import helpers
from tests.test_api_v1 import bearer, new_token
from tests.test_assessment_flow import count, definition
from tests.test_oversight import submitted_visit

# Every test here is about the renders of kept versions' PDFs: each runs (tests/conftest.py).
pytestmark = pytest.mark.pdf_renders


@pytest.fixture
def worker_queue(app):
    """The queue as it is in production: a task waits until a worker takes it (`run_worker`),
    instead of running at once in the process that queued it (the other tests' mode)."""
    huey.immediate = False
    yield
    huey.immediate = True


def run_worker(app) -> int:
    """What `huey_consumer worker.huey` does with each waiting task. Returns how many it ran."""
    ran = 0
    with app.app_context():
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
            ran += 1
    return ran


def stored_versions(app, assessment_id: int) -> list[AssessmentVersion]:
    with app.app_context():
        rows = db.session.scalars(
            select(AssessmentVersion)
            .where(AssessmentVersion.assessment_id == assessment_id)
            .order_by(AssessmentVersion.number)
        ).all()
        for row in rows:
            _ = row.pdf
        db.session.expunge_all()
        return list(rows)


def rendered_in_the_request(app, assessment_id: int, by_id: int, at: dt.datetime) -> bytes:
    """The PDF as the request rendered it before this change: the live assessment, printed by
    the person who submitted or decided, at that moment."""
    with app.app_context():
        assessment = db.session.get_one(Assessment, assessment_id)
        by = db.session.get_one(User, by_id)
        return render_pdf(
            "reports/assessment.html", generated_by=by.name, generated_at=at, **versions.record_context(assessment)
        )


def assert_being_prepared(response) -> None:
    assert response.status_code == 202 and response.headers["Retry-After"] == "5"
    document = helpers.page(response)
    assert document.select_one("h1").get_text(strip=True) == "The PDF is being prepared"
    refresh = document.select_one('meta[http-equiv="refresh"]')
    assert refresh is not None and refresh["content"] == "5"  # looks again without JavaScript
    assert not response.data.startswith(b"%PDF")


def test_a_submit_commits_without_rendering_and_the_worker_stores_the_same_bytes(app, team_world, worker_queue):
    w = team_world["w"]
    assessment_id = submitted_visit(app, w, team_world["child"].id, dt.date.today())
    (version,) = stored_versions(app, assessment_id)
    assert version.event == "submitted" and version.pdf is None and version.pdf_sha256 is None
    assert version.pdf_queued_at is not None and version.pdf_started_at is None
    with app.app_context():
        assert huey.pending_count() == 1  # the render waits for the worker

    # Before the worker: every way to the PDF says so, and the record itself is all there.
    assert_being_prepared(w.get(f"/assessments/{assessment_id}/pdf"))
    assert_being_prepared(w.get(f"/assessments/{assessment_id}/versions/1.pdf"))
    result = w.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    assert "Assessment result" in result
    assert "The PDF is being prepared" in helpers.table_row(result, "Download version 1")
    token = new_token(app, team_world["supervisor"].email)
    api = app.test_client().get(f"/api/v1/assessments/{assessment_id}/pdf", headers=bearer(token))
    assert api.status_code == 202 and api.headers["Retry-After"] == "5"
    assert api.json["title"] == "The PDF is being prepared"
    assert count(app, AuditEvent, AuditEvent.action == "assessment_pdf_waited") == 3

    direct = rendered_in_the_request(app, assessment_id, team_world["worker"].id, version.at)
    assert run_worker(app) == 1  # the one task queued at submit (waiting pages queue nothing more)

    (version,) = stored_versions(app, assessment_id)
    assert version.pdf == direct  # byte for byte
    assert version.pdf_sha256 == hashlib.sha256(direct).hexdigest()
    assert version.pdf_queued_at is None and version.pdf_started_at is None
    download = w.get(f"/assessments/{assessment_id}/pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf" and download.data == direct
    api = app.test_client().get(f"/api/v1/assessments/{assessment_id}/pdf", headers=bearer(token))
    assert api.status_code == 200 and api.data == direct
    assert f"SHA-256 {version.pdf_sha256}" in helpers.table_row(
        w.get(f"/assessments/{assessment_id}").get_data(as_text=True), "Download version 1"
    )


def test_a_decision_commits_without_rendering_and_its_pdf_follows(app, team_world, worker_queue):
    assessment_id = submitted_visit(app, team_world["w"], team_world["child"].id, dt.date.today())
    run_worker(app)
    s = team_world["s"]
    assert helpers.decide(s, assessment_id, "agreed", "A safe and warm home.").status_code == 302
    submitted, agreed = stored_versions(app, assessment_id)
    assert submitted.pdf is not None and agreed.event == "agreed" and agreed.pdf is None
    assert_being_prepared(s.get(f"/assessments/{assessment_id}/pdf"))
    assert s.get(f"/assessments/{assessment_id}/versions/1.pdf").data == submitted.pdf  # ready: unaffected

    direct = rendered_in_the_request(app, assessment_id, team_world["supervisor"].id, agreed.at)
    assert run_worker(app) == 1
    _, agreed = stored_versions(app, assessment_id)
    assert agreed.pdf == direct and agreed.pdf_sha256 == hashlib.sha256(direct).hexdigest()
    assert s.get(f"/assessments/{assessment_id}/pdf").data == direct


def test_the_worker_renders_the_version_as_it_was_not_as_it_is_now(app, team_world, worker_queue):
    """A decision made before the worker reaches the submission's render does not leak into it."""
    assessment_id = submitted_visit(app, team_world["w"], team_world["child"].id, dt.date.today())
    (submitted,) = stored_versions(app, assessment_id)
    direct = rendered_in_the_request(app, assessment_id, team_world["worker"].id, submitted.at)
    returning = helpers.decide(team_world["s"], assessment_id, "returned", "Please look at the kitchen again.")
    assert returning.status_code == 302
    run_worker(app)
    first, returned = stored_versions(app, assessment_id)
    assert first.pdf == direct
    assert returned.pdf is not None and returned.pdf != first.pdf


def age(app, version_id: int, queued_minutes: int, started_minutes: int | None) -> None:
    """As a lost task (never started) or a killed worker (started, never stored) leaves it."""
    now = utcnow()
    with app.app_context(), writing():
        db.session.execute(
            update(AssessmentVersion)
            .where(AssessmentVersion.id == version_id)
            .values(
                pdf_queued_at=now - dt.timedelta(minutes=queued_minutes),
                pdf_started_at=None if started_minutes is None else now - dt.timedelta(minutes=started_minutes),
            )
        )
        db.session.commit()


@pytest.mark.parametrize("started_minutes", [None, 11], ids=["never started", "left running"])
def test_a_render_lost_or_left_running_is_queued_again_once_and_completes(
    app, team_world, worker_queue, started_minutes
):
    assessment_id = submitted_visit(app, team_world["w"], team_world["child"].id, dt.date.today())
    with app.app_context():
        huey.flush()  # the task is lost (a queue emptied, a worker killed with it in hand)
    (version,) = stored_versions(app, assessment_id)
    age(app, version.id, queued_minutes=12, started_minutes=started_minutes)

    with app.app_context():
        tasks.requeue_stalled_exports.call_local()  # the periodic task
        tasks.requeue_stalled_exports.call_local()  # run again at once: finds nothing more to do
    assert count(app, AuditEvent, AuditEvent.action == "pdf_requeued") == 1
    assert run_worker(app) == 1
    (version,) = stored_versions(app, assessment_id)
    assert version.pdf is not None and version.pdf_sha256 == hashlib.sha256(version.pdf).hexdigest()
    assert team_world["w"].get(f"/assessments/{assessment_id}/pdf").data == version.pdf
    with app.app_context():
        tasks.requeue_stalled_exports.call_local()
    assert count(app, AuditEvent, AuditEvent.action == "pdf_requeued") == 1  # done: never again


def test_a_render_within_its_deadline_is_left_alone_and_never_rendered_twice_at_once(app, team_world, worker_queue):
    assessment_id = submitted_visit(app, team_world["w"], team_world["child"].id, dt.date.today())
    (version,) = stored_versions(app, assessment_id)
    age(app, version.id, queued_minutes=3, started_minutes=2)  # a worker on it now
    with app.app_context():
        tasks.requeue_stalled_exports.call_local()
        assert versions.render(version.id) is False  # the same task handed to a second worker: no
    assert count(app, AuditEvent, AuditEvent.action == "pdf_requeued") == 0
    run_worker(app)  # the task queued at submit finds it claimed, and leaves it
    assert stored_versions(app, assessment_id)[0].pdf is None
    age(app, version.id, queued_minutes=12, started_minutes=11)  # that worker died
    with app.app_context():
        tasks.requeue_stalled_exports.call_local()
    run_worker(app)
    assert stored_versions(app, assessment_id)[0].pdf is not None


def test_with_the_queue_down_a_submit_still_succeeds_and_the_render_is_queued_again_later(
    app, team_world, worker_queue
):
    def unreachable(*args, **kwargs):
        raise tasks.QUEUE_UNAVAILABLE[0]("queue down")

    original = huey.enqueue
    huey.enqueue = unreachable  # type: ignore[method-assign]
    try:
        assessment_id = submitted_visit(app, team_world["w"], team_world["child"].id, dt.date.today())
    finally:
        huey.enqueue = original  # type: ignore[method-assign]
    (version,) = stored_versions(app, assessment_id)
    assert version.pdf is None and version.pdf_queued_at is not None
    assert_being_prepared(team_world["w"].get(f"/assessments/{assessment_id}/pdf"))
    assert run_worker(app) == 0
    age(app, version.id, queued_minutes=11, started_minutes=None)
    with app.app_context():
        tasks.requeue_stalled_exports.call_local()  # the queue is back: the periodic task finds it
    assert run_worker(app) == 1
    assert team_world["w"].get(f"/assessments/{assessment_id}/pdf").data.startswith(b"%PDF")


def test_a_submission_sent_from_the_tablets_outbox_is_answered_before_its_pdf_exists(app, team_world, worker_queue):
    """The outbox's JSON submit gets "submitted" and the confirmation page opens while the PDF
    waits; the confirmation's PDF link says it is being prepared, then serves the PDF."""
    w = team_world["w"]
    assessment_id = helpers.start(w, team_world["child"].id)
    helpers.complete(w, assessment_id, definition(app))
    with app.app_context():
        version = db.session.get_one(Assessment, assessment_id).version
    answer = w.post(
        f"/api/assessments/{assessment_id}/submit",
        json={"fields": [["version", str(version)], ["submission_key", "tablet-submit"]]},
        headers={"X-CSRFToken": w.get("/api/session").json["csrf"]},
    )
    assert answer.status_code == 200 and answer.json["status"] == "submitted"
    confirmation = w.get(answer.json["url"])
    assert confirmation.status_code == 200 and "Assessment submitted" in confirmation.get_data(as_text=True)
    link = helpers.page(confirmation).find("a", string="Download the PDF")
    assert link is not None and not link.has_attr("download")  # a waiting page must open, not be saved as a file
    assert_being_prepared(w.get(link["href"]))
    run_worker(app)
    assert w.get(link["href"]).data.startswith(b"%PDF")
