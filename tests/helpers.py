"""Reading pages as a browser would (parsed HTML) and posting a whole assessment through the real
forms, as a practitioner's tablet would."""

from __future__ import annotations

import datetime as dt
import re

import lxml.html
from bs4 import BeautifulSoup
from sqlalchemy import event

from heat.checklist import Definition
from heat.extensions import db


def page(response_or_html) -> BeautifulSoup:
    """A response's HTML, parsed."""
    html = response_or_html if isinstance(response_or_html, str) else response_or_html.get_data(as_text=True)
    return BeautifulSoup(html, "html.parser")


def field_value(html: str, name: str) -> str:
    """The value of the form field called `name` (a hidden field, usually): the first <input> of
    that name. Read with lxml's HTML parser (C): a checklist section is ~40 KB of HTML, which
    BeautifulSoup's html.parser took longer to read than the request took to serve."""
    fields = lxml.html.document_fromstring(html).xpath("//input[@name=$name]", name=name)
    assert fields, f"no field called {name}"
    value = fields[0].get("value")
    assert value is not None, f"the field called {name} has no value"
    return str(value)


def text_of(html: str, selector: str) -> str:
    """The text of the first element matching a CSS selector, whitespace collapsed."""
    element = page(html).select_one(selector)
    assert element is not None, f"nothing matches {selector}"
    return " ".join(element.get_text(" ").split())


def table_row(html: str, containing: str) -> str:
    """The text of the table row that mentions `containing`."""
    rows = [r for r in page(html).select("tr") if containing in r.get_text()]
    assert rows, f"no table row mentions {containing}"
    return " ".join(rows[0].get_text(" ").split())


# The session's last-used time is written at most once a minute, so on a slow machine one view of
# two being compared may write it: never counted.
SESSION_TOUCH = re.compile(r"\s*UPDATE user_sessions SET last_seen_at", re.I)


def statements(app, client, url: str) -> int:
    """How many SQL statements one view of a page runs (the session's last-used time aside)."""
    run = []
    with app.app_context():
        engine = db.engine

    def listener(conn, cursor, statement, *args):
        if not SESSION_TOUCH.match(statement):
            run.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(run)


def start(client, child_id: int, children: list[int] | None = None) -> int:
    html = client.get(f"/children/{child_id}/assessments/new").get_data(as_text=True)
    key = field_value(html, "start_key")
    response = client.post(
        f"/children/{child_id}/assessments/new",
        data={"csrf_token": client.token, "start_key": key, "children": [str(c) for c in (children or [child_id])]},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def visit_data(day: dt.date | None = None) -> dict:
    day = day or dt.date.today()
    return {
        "visit_date": [str(day.day), str(day.month), str(day.year)],
        "visit_time": "14:30",
        "announced": "no",
        "visit_type": "cp",
        "plan_status": "cp",
        "plan_category": "neglect",
    }


def people_data() -> dict:
    return {
        "people-0-name": "Mother (invented)",
        "people-0-present": "yes",
        "people-0-relationship": "mother",
        "people-0-sex": "female",
        "people-0-residence": "lives_here",
        "people-0-cares_for_child": "yes",
        "people-1-name": "Mother's new partner",
        "people-1-present": "yes",
        "people-1-relationship": "mothers_partner",
        "people-1-sex": "male",
        "people-1-residence": "stays_overnight",
        "people-1-cares_for_child": "no",
        "new_partner": "yes",
        "father_involvement": "Father not seen; lives out of area.",
    }


def rooms_data(definition: Definition, **statuses) -> dict:
    data = {}
    for room in definition.rooms:
        data[f"status_{room.id}"] = statuses.get(room.id, "seen")
        if data[f"status_{room.id}"] != "seen":
            data[f"reason_{room.id}"] = "Carer said the room was being decorated."
    return data


def domain_data(
    definition: Definition, domain_id: str, grades: dict[str, str] | None = None, default: str = "2"
) -> dict:
    data = {}
    for question in definition.domain(domain_id).questions:  # answered with what is not a concern
        data[f"answer_{question.id.replace('.', '__')}"] = next(k for k, _ in question.answers if k != question.concern)
    for item in definition.domain(domain_id).items:
        key = item.id.replace(".", "__")
        grade = (grades or {}).get(item.id, default)
        data[f"grade_{key}"] = grade
        if grade not in ("NS", "NA"):
            data[f"source_{key}"] = "observed"
    return data


def consistent(definition: Definition, domain_id: str, data: dict, rooms: dict) -> dict:
    """A domain's answers made to agree with the rooms (2026.4 on): no item of a room not seen
    graded as observed (the carer's word instead), and "Were you able to see every room?" No when
    a room was not seen."""
    unseen = {r.domain for r in definition.rooms if rooms.get(r.id, "seen") in ("not_seen", "refused")}
    for question in definition.domain(domain_id).questions:
        if question.checks_rooms and any(rooms.get(r.id, "seen") in ("not_seen", "refused") for r in definition.rooms):
            data[f"answer_{question.id.replace('.', '__')}"] = "no"
    if domain_id in unseen and definition.weighs_evidence:
        data = {k: "carer_said" if k.startswith("source_") else v for k, v in data.items()}
    return data


def voice_data() -> dict:
    return {
        "child_seen": "yes",
        "child_seen_alone": "na",
        "infant_seen_awake": "yes",
        "child_voice": "Smiled and reached for the worker.",
        "parent_view": "Mother says things are better.",
        "shown_scores": "yes",
    }


def each_child_seen(client, assessment_id: int, seen: str = "awake") -> dict:
    """Since 2026.4: each child on the visit seen (`seen`), with their own voice."""
    html = page(client.get(section_url(assessment_id, "voice")))
    names = {field["name"] for field in html.select("input[name^=seen_], textarea[name^=voice_]")}
    return {name: seen if name.startswith("seen_") else "Smiled and reached for the worker." for name in names}


def actions_data() -> dict:
    due = dt.date.today() + dt.timedelta(days=14)
    nxt = dt.date.today() + dt.timedelta(days=10)
    return {
        "strengths": "Warm interaction.",
        "worries": "Clutter on the stairs.",
        "advice_given": ["safer_sleep"],
        "actions-0-task": "Clear the stairs",
        "actions-0-owner": "Mother",
        "actions-0-due_date": [str(due.day), str(due.month), str(due.year)],
        "actions-0-status": "open",
        "next_visit_date": [str(nxt.day), str(nxt.month), str(nxt.year)],
    }


def section_url(assessment_id: int, section_id: str) -> str:
    return f"/assessments/{assessment_id}/sections/{section_id}"


def save(client, assessment_id: int, section_id: str, data: dict, button: str = "save", if_asked: bool = False):
    """Post a section's answers. `if_asked`: None when the visit does not ask the section (since
    2026.4 a checklist area with nothing for the ages of the children on the visit)."""
    page = client.get(section_url(assessment_id, section_id))
    if if_asked and page.status_code == 404:
        return None
    html = page.get_data(as_text=True)
    version = field_value(html, "version")
    return client.post(
        section_url(assessment_id, section_id),
        data={"csrf_token": client.token, "version": version, button: "x", **data},
    )


def complete(
    client,
    assessment_id: int,
    definition: Definition,
    grades: dict[str, str] | None = None,
    rooms: dict | None = None,
    day: dt.date | None = None,
) -> None:
    """Complete every section with valid answers (the visit on `day`, today if not given)."""
    sections = [
        ("visit", visit_data(day)),
        ("people", people_data()),
        ("rooms", rooms_data(definition, **(rooms or {}))),
    ]
    sections += [
        (d.id, consistent(definition, d.id, domain_data(definition, d.id, grades), rooms or {}))
        for d in definition.domains
    ]
    sections += [("voice", voice_data()), ("actions", actions_data())]
    domains = {d.id for d in definition.domains}
    for section_id, data in sections:
        if section_id == "voice":
            data = {**data, **each_child_seen(client, assessment_id)}
        response = save(client, assessment_id, section_id, data, if_asked=section_id in domains)
        assert response is None or response.status_code == 302, (section_id, response.get_data(as_text=True)[:3000])


def submit(client, assessment_id: int, key: str | None = None):
    html = client.get(f"/assessments/{assessment_id}/check").get_data(as_text=True)
    return client.post(
        f"/assessments/{assessment_id}/submit",
        data={
            "csrf_token": client.token,
            "version": field_value(html, "version"),
            "submission_key": key or field_value(html, "submission_key"),
        },
    )


def decide(
    client,
    assessment_id: int,
    decision: str,
    rationale: str,
    response: str = "discussed",
    reason: str = "Talked it through with the worker at supervision.",
    **extra,
):
    """Record a supervisor's decision from the review page, answering every active flag it asks about."""
    document = page(client.get(f"/assessments/{assessment_id}/review"))
    data = {"csrf_token": client.token, "decision": decision, "rationale": rationale, **extra}
    for radio in document.select('input[type="radio"][name$="-response"]'):
        key = radio["name"].removesuffix("-response")
        data.setdefault(f"{key}-response", response)
        data.setdefault(f"{key}-reason", reason)
    return client.post(f"/assessments/{assessment_id}/review", data=data)
