"""Every paginated list (caseload, dashboard, audit trail, reviews) pages the same way: GOV.UK pagination
links that keep the filters, and a page past the end shows the last page instead of nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from heat.checklist.vocabulary import GREEN, RED
from heat.extensions import db
from heat.models import Assessment, Child, utcnow
from heat.services import audit
from heat.services.paging import PAGE_SIZE
from tests import helpers

PAST_THE_END = ["3", "999", str(2**63 + 5), "-4", "abc"]


@pytest.fixture
def big_team(make, signed_in):
    team = make.team("Paging")
    children = [make.child(team, "Child", f"Pager{n:03d}") for n in range(PAGE_SIZE + 1)]
    return {"team": team, "children": children, "s": signed_in(make.user("supervisor", team))}


def current_page(html: str) -> str:
    return helpers.text_of(html, ".govuk-pagination__item--current")


@pytest.mark.parametrize("page", PAST_THE_END)
def test_caseload_page_past_the_end_shows_the_last_page(big_team, page):
    response = big_team["s"].get(f"/caseload?page={page}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    expected = "1" if page in ("-4", "abc") else "2"
    assert current_page(html) == expected
    last = big_team["children"][-1].name
    assert (last in html) == (expected == "2")


def test_caseload_pages_link_to_each_other(big_team):
    html = big_team["s"].get("/caseload").get_data(as_text=True)
    assert current_page(html) == "1"
    next_link = helpers.page(html).select_one(".govuk-pagination__next a")
    assert next_link is not None and next_link["href"] == "/caseload?page=2"
    second = big_team["s"].get(next_link["href"]).get_data(as_text=True)
    assert big_team["children"][-1].name in second
    assert helpers.page(second).select_one(".govuk-pagination__prev a")["href"] == "/caseload?page=1"


@pytest.mark.parametrize("page", PAST_THE_END)
def test_dashboard_page_past_the_end_keeps_its_filters(big_team, page):
    response = big_team["s"].get(f"/dashboard?sort=name&page={page}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    expected = "1" if page in ("-4", "abc") else "2"
    assert current_page(html) == expected
    links = [a["href"] for a in helpers.page(html).select(".govuk-pagination a")]
    assert links and all("sort=name" in href for href in links)


@pytest.mark.parametrize("page", PAST_THE_END)
def test_audit_trail_page_past_the_end_shows_the_last_page(app, make, signed_in, page):
    auditor = make.user("auditor")
    with app.app_context():
        for _ in range(120):
            audit.record("caseload_viewed", user=auditor)
        db.session.commit()
    client = signed_in(auditor)
    response = client.get(f"/audit?user={auditor.email}&page={page}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert current_page(html) == ("1" if page in ("-4", "abc") else "2")
    links = [a["href"] for a in helpers.page(html).select(".govuk-pagination a")]
    assert links and all("user=" in href for href in links)


def test_the_review_queue_is_paged_in_risk_order(app, make, signed_in):
    """The queue grows with the team: paged in the database, most at risk first across pages."""
    team = make.team("Reviewing")
    worker = make.user("practitioner", team)
    child = make.child(team, "Queue", "Pagechild")
    start = utcnow()
    ratings = [GREEN.id] * PAGE_SIZE + [RED.id]  # the Red one submitted last
    with app.app_context():
        for n, rating in enumerate(ratings):
            assessment = Assessment(
                team_id=team.id,
                created_by_id=worker.id,
                submitted_by_id=worker.id,
                checklist_version="2026.1",
                start_key=f"queue-{team.id}-{n}",
                status="submitted",
                rating=rating,
                submitted_at=start + dt.timedelta(minutes=n),
                visit_date=start.date(),
            )
            assessment.children.append(db.session.get(Child, child.id))
            db.session.add(assessment)
        db.session.commit()
        ids = list(
            db.session.scalars(select(Assessment.id).where(Assessment.team_id == team.id).order_by(Assessment.id))
        )
    supervisor = signed_in(make.user("supervisor", team))

    def review_links(html: str) -> list[int]:
        links = helpers.page(html).select('a[href$="/review"]')
        return [int(a["href"].split("/")[2]) for a in links]

    first = supervisor.get("/reviews").get_data(as_text=True)
    assert current_page(first) == "1"
    assert review_links(first) == [ids[-1], *ids[: PAGE_SIZE - 1]]  # Red first, then the oldest Green
    second = supervisor.get("/reviews?page=2").get_data(as_text=True)
    assert review_links(second) == [ids[PAGE_SIZE - 1]]
    assert supervisor.get("/reviews?page=999").get_data(as_text=True).count('/review"') == 1  # the last page
