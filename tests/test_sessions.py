"""Your sessions: each sign-in is its own server-side session, listed with its device, started
and last used; a user ends their others, an administrator all of a user's; sign-out ends its own."""

from __future__ import annotations

from sqlalchemy import select

from heat.extensions import db
from heat.models import AuditEvent, UserSession
from tests import helpers
from tests.conftest import csrf_token, sign_in

TABLET = "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
LAPTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 "
    "Edg/131.0"
)


def device(app, user, agent: str):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = agent
    assert sign_in(client, user.email).status_code == 302
    return client


def rows(client) -> list[list[str]]:
    table = helpers.page(client.get("/account/sessions")).select_one("table")
    return [[td.get_text(" ", strip=True) for td in tr.select("td")] for tr in table.select("tbody tr")]


def test_your_sessions_lists_each_sign_in_and_ends_another(app, make):
    user = make.user("practitioner", make.team())
    tablet, laptop = device(app, user, TABLET), device(app, user, LAPTOP)
    listed = rows(tablet)
    assert sorted(r[0] for r in listed) == ["Chrome on Android This device", "Edge on Windows"]
    with app.app_context():
        laptop_id = db.session.scalar(select(UserSession.id).where(UserSession.device == "Edge on Windows"))
    token = csrf_token(tablet, "/account/sessions")
    response = tablet.post(f"/account/sessions/{laptop_id}/end", data={"csrf_token": token})
    assert response.status_code == 302
    assert "That session has been signed out" in tablet.get("/account/sessions").get_data(as_text=True)
    assert laptop.get("/caseload").status_code == 302  # signed out there
    assert tablet.get("/caseload").status_code == 200  # not here
    assert [r[0] for r in rows(tablet)] == ["Chrome on Android This device"]
    with app.app_context():
        ended = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "session_ended"))
        assert ended.user_id == user.id and ended.detail == f"session {laptop_id}"


def test_sign_out_ends_only_its_own_session(app, make):
    user = make.user("practitioner", make.team())
    tablet, laptop = device(app, user, TABLET), device(app, user, LAPTOP)
    assert laptop.post("/sign-out", data={"csrf_token": csrf_token(laptop, "/caseload")}).status_code == 302
    assert laptop.get("/caseload").status_code == 302
    assert tablet.get("/caseload").status_code == 200


def test_sign_out_every_other_session(app, make):
    user = make.user("practitioner", make.team())
    here, *others = [device(app, user, agent) for agent in (TABLET, LAPTOP, TABLET)]
    token = csrf_token(here, "/account/sessions")
    assert here.post("/account/sessions/end-others", data={"csrf_token": token}).status_code == 302
    assert all(o.get("/caseload").status_code == 302 for o in others)
    assert here.get("/caseload").status_code == 200


def test_nobody_ends_another_users_session(app, make):
    team = make.team()
    mine, theirs = make.user("practitioner", team), make.user("practitioner", team)
    me, them = device(app, mine, TABLET), device(app, theirs, LAPTOP)
    with app.app_context():
        their_id = db.session.scalar(select(UserSession.id).where(UserSession.user_id == theirs.id))
    me.post(f"/account/sessions/{their_id}/end", data={"csrf_token": csrf_token(me, "/account/sessions")})
    assert them.get("/caseload").status_code == 200


def test_an_administrator_signs_out_every_session_of_a_user(app, make):
    user = make.user("practitioner", make.team())
    tablet, laptop = device(app, user, TABLET), device(app, user, LAPTOP)
    admin = device(app, make.user("admin"), LAPTOP)
    page = admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "is signed in on 2 devices" in page
    token = csrf_token(admin, f"/admin/users/{user.id}")
    assert admin.post(f"/admin/users/{user.id}/sessions/end", data={"csrf_token": token}).status_code == 302
    assert tablet.get("/caseload").status_code == 302 and laptop.get("/caseload").status_code == 302
    assert "is signed in on 0 devices" in admin.get(f"/admin/users/{user.id}").get_data(as_text=True)


def test_a_page_refreshing_itself_is_not_activity(app, make, signed_in):
    """The exports list refreshes itself while an export builds: left open, it must not keep a
    session alive (nor move its "last used")."""
    import time

    auditor = signed_in(make.user("auditor"))
    two_minutes_ago = int(time.time()) - 120
    with auditor.session_transaction() as session:
        session["seen_at"] = two_minutes_ago
    assert auditor.get("/exports?refreshing=1").status_code == 200
    with auditor.session_transaction() as session:
        assert session["seen_at"] == two_minutes_ago
    with app.app_context():
        (live,) = db.session.scalars(select(UserSession)).all()
        assert live.last_seen_at == live.started_at  # not touched by the refresh
    assert auditor.get("/exports").status_code == 200  # a person opening it is activity
    with auditor.session_transaction() as session:
        assert session["seen_at"] > two_minutes_ago
    with app.app_context():
        (live,) = db.session.scalars(select(UserSession)).all()
        assert live.last_seen_at > live.started_at
