"""Emails to staff (issue 24): sent through a real SMTP server started here (aiosmtpd), by the
worker's tasks (Huey's immediate mode runs them in the test's process)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import socket
import threading
import uuid
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from app import create_app
from heat import tasks
from heat.extensions import db, huey
from heat.models import Agency, AuditEvent, Child, InformationRequest, PlanChange, Transfer, User, utcnow
from heat.services import notifications
from tests import helpers
from tests.conftest import signed_in_client
from tests.test_oversight import submitted_visit

TODAY = dt.date.today()
EXTERNAL = "https://heat.example.org"
# Invented, and unlike anything else in an email, so a leak is found.
FIRST, LAST = "Wilhelmina", "Quarrendon"


class Inbox:
    """An aiosmtpd handler keeping every message it accepts; it refuses the next `refuse` first."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refuse:
            self.refuse -= 1
            return "451 Requested action aborted: try again later"
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def to(self, user: User) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == user.email]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    return AuthResult(success=(auth_data.login, auth_data.password) == (b"heat", b"s3cret"))


@pytest.fixture(scope="module")
def smtp_server():
    """A real SMTP server on loopback, asking for a user name and password."""
    inbox = Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=free_port(), authenticator=authenticator, auth_require_tls=False
    )
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture(scope="module")
def mail_app(app, settings, smtp_server):
    """The app with email set up (the settings passed in, as a deployment's environment would)."""
    _, port = smtp_server
    application = create_app(
        {
            **settings,
            "HEAT_SMTP_URL": f"smtp://heat:s3cret@127.0.0.1:{port}",
            "HEAT_MAIL_FROM": "heat@example.org",
            "HEAT_EXTERNAL_URL": EXTERNAL,
        }
    )
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def inbox(smtp_server) -> Inbox:
    found, _ = smtp_server
    found.messages.clear()
    found.refuse = 0
    return found


@pytest.fixture
def world(mail_app, make):
    team = make.team()
    practitioner = make.user("practitioner", team)
    supervisor = make.user("supervisor", team)
    daily_supervisor = make.user("supervisor", team)
    choose(mail_app, daily_supervisor, "daily")
    child = make.child(team, FIRST, LAST)
    return {
        "team": team,
        "practitioner": practitioner,
        "supervisor": supervisor,
        "daily_supervisor": daily_supervisor,
        "child": child,
        "w": signed_in_client(mail_app, practitioner),
    }


def choose(app, user: User, choice: str) -> None:
    with app.app_context():
        db.session.get(User, user.id).email_choice = choice
        db.session.commit()


def emails_audited(app, user: User) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "email_sent", AuditEvent.target_user_id == user.id)
            )
        )


def body_of(message: EmailMessage) -> str:
    return message.get_content().replace("\r\n", "\n")


def assert_nothing_personal(message: EmailMessage) -> None:
    text = message.as_string()
    for word in (FIRST, LAST, "Dangerous", "Serious", "grade"):
        assert word not in text


def test_a_red_visit_emails_the_teams_supervisors_with_no_childs_name(mail_app, inbox, world):
    assessment_id = submitted_visit(mail_app, world["w"], world["child"].id, TODAY, grades={"general.smell": "5"})
    [message] = inbox.to(world["supervisor"])
    assert message["From"] == "heat@example.org"
    assert message["Subject"] == f"Red visit to review today: {world['child'].reference}"
    body = body_of(message)
    assert f"A visit rated Red was submitted for case {world['child'].reference}" in body
    assert f"{EXTERNAL}/assessments/{assessment_id}/review" in body
    assert_nothing_personal(message)
    # The supervisor who chose a daily summary, and the practitioner, get nothing now.
    assert inbox.to(world["daily_supervisor"]) == [] and inbox.to(world["practitioner"]) == []
    [row] = emails_audited(mail_app, world["supervisor"])
    assert row.assessment_id == assessment_id and row.user_id is None
    assert row.detail == "Red visit submitted (version 1)"


def test_a_visit_that_is_not_red_emails_nobody(mail_app, inbox, world):
    submitted_visit(mail_app, world["w"], world["child"].id, TODAY)
    assert inbox.messages == []


def test_a_decision_emails_the_practitioner(mail_app, inbox, world):
    assessment_id = submitted_visit(mail_app, world["w"], world["child"].id, TODAY)
    s = signed_in_client(mail_app, world["supervisor"])
    response = helpers.decide(s, assessment_id, "returned", "Please add what the carer said about the stair gate.")
    assert response.status_code == 302
    [message] = inbox.to(world["practitioner"])
    assert message["Subject"] == f"Decision on your visit: Returned for changes, case {world['child'].reference}"
    body = body_of(message)
    assert "A supervisor recorded a decision on your visit" in body and "Returned for changes" in body
    assert f"{EXTERNAL}/assessments/{assessment_id}" in body.splitlines()
    assert "stair gate" not in body  # the rationale stays in HEAT
    assert_nothing_personal(message)
    assert [r.detail.split(" (")[0] for r in emails_audited(mail_app, world["practitioner"])] == [
        "Decision recorded: Returned for changes"
    ]


def test_a_refused_email_is_retried_by_the_queue_and_sent_once(mail_app, inbox, world):
    inbox.refuse = 1
    assessment_id = submitted_visit(mail_app, world["w"], world["child"].id, TODAY, grades={"general.smell": "5"})
    assert inbox.messages == [] and emails_audited(mail_app, world["supervisor"]) == []
    later = huey._get_timestamp() + dt.timedelta(seconds=tasks.EMAIL_RETRY_SECONDS + 1)
    retries = huey.read_schedule(later)
    assert [t.name for t in retries] == ["send_event_emails"]
    with mail_app.app_context():
        for task in retries:
            huey.execute(task, later)
        # The same event queued again (a replayed submission) writes to nobody twice.
        assert notifications.send_event(notifications.RED_SUBMITTED, assessment_id) == 0
    assert len(inbox.to(world["supervisor"])) == 1
    assert len(emails_audited(mail_app, world["supervisor"])) == 1


def test_the_daily_summary_lists_what_waits_by_reference(mail_app, make, inbox, world):
    team, practitioner, supervisor = world["team"], world["practitioner"], world["supervisor"]
    due, overdue, asked, moving, stepping = (make.child(team, FIRST, LAST) for _ in range(5))
    other_team = make.team()
    submitted_visit(mail_app, world["w"], world["child"].id, TODAY, grades={"general.smell": "5"})
    inbox.messages.clear()
    with mail_app.app_context():
        for child, next_due in ((due, TODAY), (overdue, TODAY - dt.timedelta(days=3))):
            record = db.session.get(Child, child.id)
            record.next_visit_due, record.last_visit_date = next_due, TODAY - dt.timedelta(days=40)
            record.allocated_worker_id = practitioner.id
        agency = Agency(child_id=asked.id, name="Invented health visiting service")
        db.session.add(agency)
        db.session.flush()
        db.session.add(
            InformationRequest(
                child_id=asked.id, agency_id=agency.id, asked_on=TODAY - dt.timedelta(days=60), what="Health records"
            )
        )
        db.session.add(
            Transfer(child_id=moving.id, from_team_id=other_team.id, to_team_id=team.id, by_id=supervisor.id, note="")
        )
        db.session.add(
            PlanChange(
                child_id=stepping.id,
                changed_by_id=practitioner.id,
                effective_date=TODAY,
                from_status="cp",
                to_status="cin",
                note="Invented step-down request",
                status="requested",
            )
        )
        db.session.commit()
        now = dt.datetime.combine(TODAY, dt.time(7, 30))
        assert notifications.send_daily_summaries(dt.datetime.combine(TODAY, dt.time(6, 59))) == 0
        assert notifications.send_daily_summaries(now) == 3  # the practitioner and both supervisors
        assert notifications.send_daily_summaries(now + dt.timedelta(hours=2)) == 0  # once a day
    [mine] = inbox.to(practitioner)
    assert mine["Subject"] == f"HEAT daily summary, {TODAY:%d %B %Y}"
    body = body_of(mine)
    assert f"Visits due today (1):\n- {due.reference}: {EXTERNAL}/children/{due.id}" in body
    assert f"Visits overdue (1):\n- {overdue.reference}" in body
    assert stepping.reference not in body and moving.reference not in body  # a supervisor's to decide
    [theirs] = inbox.to(supervisor)
    body = body_of(theirs)
    assert f"Information requests overdue (1):\n- {asked.reference}" in body
    assert f"Transfers waiting for you to acknowledge (1):\n- {moving.reference}" in body
    assert f"Step-downs waiting for a decision (1):\n- {stepping.reference}" in body
    # Emailed straight away too, and still waiting: in every supervisor's summary.
    [daily] = inbox.to(world["daily_supervisor"])
    for summary in (body, body_of(daily)):
        assert f"Red visits waiting for a decision (1):\n- {world['child'].reference}" in summary
    for message in inbox.messages:
        assert_nothing_personal(message)
    assert [r.detail for r in emails_audited(mail_app, supervisor)] == [
        "Red visit submitted (version 1)",
        f"Daily summary for {TODAY}",
    ]


def test_a_practitioner_who_chose_the_daily_summary_hears_of_decisions_there(mail_app, inbox, world):
    choose(mail_app, world["practitioner"], "daily")
    assessment_id = submitted_visit(mail_app, world["w"], world["child"].id, TODAY)
    s = signed_in_client(mail_app, world["supervisor"])
    assert helpers.decide(s, assessment_id, "agreed", "A safe home: carry on visiting.").status_code == 302
    assert inbox.to(world["practitioner"]) == []
    with mail_app.app_context():
        notifications.send_daily_summaries(utcnow().replace(hour=23, minute=59))
    [summary] = inbox.to(world["practitioner"])
    line = f"Decision on your visit for case {world['child'].reference}: Agreed: {EXTERNAL}/assessments/{assessment_id}"
    assert line in body_of(summary)


def test_your_account_offers_the_choice_and_keeps_it(mail_app, inbox, world):
    w = world["w"]
    document = helpers.page(w.get("/account"))
    checked = document.select_one('input[name="email_choice"][checked]')
    assert checked is not None and checked["value"] == "immediate"
    assert "Immediately, one email each time" in document.text and "In a daily summary" in document.text
    response = w.post("/account/emails", data={"csrf_token": w.token, "email_choice": "daily"})
    assert response.status_code == 302
    assert "Emails about Red visits and decisions: in a daily summary." in w.get("/account").get_data(as_text=True)
    with mail_app.app_context():
        assert db.session.get(User, world["practitioner"].id).email_choice == "daily"
        [row] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "email_choice_changed")).all()
        assert row.user_id == world["practitioner"].id and row.detail == "daily"
    response = w.post("/account/emails", data={"csrf_token": w.token, "email_choice": "hourly"})
    assert response.status_code == 200
    assert helpers.page(response).select_one(".govuk-error-summary") is not None
    with mail_app.app_context():
        assert db.session.get(User, world["practitioner"].id).email_choice == "daily"


def test_nothing_is_sent_without_a_mail_setting(app, make, signed_in, inbox):
    team = make.team()
    practitioner, supervisor = make.user("practitioner", team), make.user("supervisor", team)
    child = make.child(team, FIRST, LAST)
    w = signed_in(practitioner)
    assert "HEAT is not set up to send emails yet" in w.get("/account").get_data(as_text=True)
    submitted_visit(app, w, child.id, TODAY, grades={"general.smell": "5"})
    with app.app_context():
        assert notifications.send_daily_summaries(utcnow().replace(hour=23, minute=59)) == 0
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "email_sent")).all() == []
        assert db.session.get(User, supervisor.id).daily_summary_at is None
    assert inbox.messages == []


class NotifyStandIn(BaseHTTPRequestHandler):
    """A local HTTP server answering as GOV.UK Notify's API does to an email sent (no network)."""

    received: list[dict] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.received.append(
            {
                "path": self.path,
                "authorization": self.headers["Authorization"],
                "json": json.loads(self.rfile.read(length)),
            }
        )
        answer = json.dumps({"id": str(uuid.uuid4()), "reference": None, "content": {}}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format, *args) -> None:
        pass


def test_through_gov_uk_notify_the_official_client_sends_the_template_with_the_email(app, settings, make, signed_in):
    service_id, secret, template_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    server = ThreadingHTTPServer(("127.0.0.1", 0), NotifyStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    NotifyStandIn.received = []
    notify_app = create_app(
        {
            **settings,
            "HEAT_NOTIFY_API_KEY": f"heat_test-{service_id}-{secret}",
            "HEAT_NOTIFY_TEMPLATE_ID": template_id,
            "HEAT_NOTIFY_BASE_URL": f"http://127.0.0.1:{server.server_port}",
            "HEAT_EXTERNAL_URL": EXTERNAL,
        }
    )
    try:
        team = make.team()
        practitioner, supervisor = make.user("practitioner", team), make.user("supervisor", team)
        child = make.child(team, FIRST, LAST)
        w = signed_in_client(notify_app, practitioner)
        assessment_id = submitted_visit(notify_app, w, child.id, TODAY, grades={"general.smell": "5"})
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        with notify_app.app_context():
            db.engine.dispose()
    [call] = NotifyStandIn.received
    assert call["path"] == "/v2/notifications/email"
    assert call["json"]["email_address"] == supervisor.email and call["json"]["template_id"] == template_id
    personalisation = call["json"]["personalisation"]
    assert personalisation["subject"] == f"Red visit to review today: {child.reference}"
    assert f"{EXTERNAL}/assessments/{assessment_id}/review" in personalisation["body"]
    assert FIRST not in json.dumps(call) and LAST not in json.dumps(call)
    claims = jwt.decode(call["authorization"].removeprefix("Bearer "), secret, algorithms=["HS256"])
    assert claims["iss"] == service_id  # signed with the key's secret, as Notify checks
    assert [r.target_user_id for r in emails_audited(app, supervisor)] == [supervisor.id]


@pytest.mark.parametrize(
    ("overrides", "refusal"),
    [
        ({"HEAT_SMTP_URL": "mail.example.org"}, "HEAT_SMTP_URL must look like smtp://"),
        ({"HEAT_SMTP_URL": "smtp://mail.example.org:587"}, "HEAT_MAIL_FROM must be set"),
        (
            {"HEAT_SMTP_URL": "smtp://mail.example.org:587", "HEAT_MAIL_FROM": "heat@example.org"},
            "HEAT_EXTERNAL_URL must be set",
        ),
        ({"HEAT_DAILY_SUMMARY_AT": "7am"}, "HEAT_DAILY_SUMMARY_AT must be a time of day"),
        ({"HEAT_NOTIFY_API_KEY": "heat-key"}, "HEAT_NOTIFY_TEMPLATE_ID must be set"),
        (
            {"HEAT_NOTIFY_API_KEY": "heat-key", "HEAT_SMTP_URL": "smtp://mail.example.org:587"},
            "not both",
        ),
    ],
)
def test_mail_settings_that_cannot_work_refuse_to_start(settings, overrides, refusal):
    with pytest.raises(RuntimeError, match=refusal):
        create_app({**settings, **overrides})
