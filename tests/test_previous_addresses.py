"""Addresses from before the child was registered (dates and area), the prompt to request
information from the area the family came from, and corrections to an address."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from heat.extensions import db
from heat.models import AuditEvent, Child, ChildAddress, User
from heat.services import register
from tests import helpers


def registered_at_home(app, team_world) -> int:
    """The child's first address, dated the day they were registered (today)."""
    with app.app_context():
        child = db.session.get(Child, team_world["child"].id)
        home = register.Address("2 Invented Close", None, "Northtown", "ZZ1 1ZZ", "Northshire (invented)")
        row = register.move(db.session.get(User, team_world["worker"].id), child, home, dt.date.today()).address
        db.session.commit()
        return row.id


def date_parts(day: dt.date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


def previous(w, child_id: int, from_date: dt.date, until: dt.date, area: str = "Eastshire (invented)"):
    data = {
        "csrf_token": w.token,
        "address_line_1": "9 Fictional Street",
        "town": "Easttown",
        "postcode": "ZZ3 3ZZ",
        "area": area,
        "kind": "temporary",
        "from_date": date_parts(from_date),
        "until": date_parts(until),
    }
    return w.post(f"/children/{child_id}/addresses/previous/new", data=data, follow_redirects=True)


def test_a_previous_address_before_registration_is_accepted_and_prompts_the_request(app, team_world):
    w, child = team_world["w"], team_world["child"]
    registered_at_home(app, team_world)
    child_page = helpers.page(w.get(f"/children/{child.id}").get_data(as_text=True))
    link = next(
        a for a in child_page.select("a") if a.get_text(strip=True) == "Add an address from before registration"
    )
    assert link["href"] == f"/children/{child.id}/addresses/previous/new"
    today = dt.date.today()
    # Moving out after the registered address began is refused, and nothing is stored.
    refused = previous(w, child.id, today - dt.timedelta(days=400), today + dt.timedelta(days=1))
    assert "govuk-error-summary" in refused.get_data(as_text=True)
    no_area = previous(w, child.id, today - dt.timedelta(days=400), today - dt.timedelta(days=60), area="")
    assert "Enter the local authority area" in no_area.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(ChildAddress)).all()) == 1

    accepted = previous(w, child.id, today - dt.timedelta(days=400), today - dt.timedelta(days=60))
    page = helpers.page(accepted.get_data(as_text=True)).get_text(" ")
    assert "Request information from Eastshire (invented)" in page  # the message, and the chronology
    assert "Before registration" in page and "9 Fictional Street" in page
    chronology = helpers.page(w.get(f"/children/{child.id}").get_data(as_text=True)).get_text(" ")
    assert "Moved from Eastshire (invented) to Northshire (invented)" in chronology
    with app.app_context():
        row = db.session.scalar(select(ChildAddress).where(ChildAddress.line_1 == "9 Fictional Street"))
        assert (row.from_date, row.until, row.is_move) == (
            today - dt.timedelta(days=400),
            today - dt.timedelta(days=60),
            False,
        )
        assert register.current_address(child.id).line_1 == "2 Invented Close"  # still where they live


def test_an_address_can_be_corrected_audited_and_listed_under_changes_to_the_record(app, team_world):
    w, child = team_world["w"], team_world["child"]
    address_id = registered_at_home(app, team_world)
    url = f"/children/{child.id}/addresses/{address_id}/correct"
    form = helpers.page(w.get(url).get_data(as_text=True))
    assert form.select_one("input[name=address_line_1]")["value"] == "2 Invented Close"
    fixed = {
        "csrf_token": w.token,
        "address_line_1": "12 Invented Close",
        "town": "Northtown",
        "postcode": "ZZ1 1ZZ",
        "area": "Northshire (invented)",
        "kind": "family_home",
        "from_date": date_parts(dt.date.today() - dt.timedelta(days=30)),
    }
    bad = w.post(url, data={**fixed, "address_line_1": "", "postcode": "not a postcode"}).get_data(as_text=True)
    assert "govuk-error-summary" in bad
    with app.app_context():
        assert db.session.get(ChildAddress, address_id).line_1 == "2 Invented Close"
    assert w.post(url, data=fixed).status_code == 302
    records = helpers.page(w.get(f"/children/{child.id}?kind=record").get_data(as_text=True)).get_text(" ")
    assert "Address corrected: 2 Invented Close" in records and "is now 12 Invented Close" in records
    with app.app_context():
        assert db.session.get(ChildAddress, address_id).line_1 == "12 Invented Close"
        audited = db.session.scalars(select(AuditEvent.action).where(AuditEvent.child_id == child.id)).all()
        assert audited.count("child_address_corrected") == 1
