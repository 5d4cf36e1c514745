"""A tablet you can trust (issue 21 items 3, 7 and 11): Check answers shows what the tablet holds,
errors show where they happen, and the sign-in page after a session ends says why once."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from heat.extensions import db
from heat.models import Assessment
from heat.services import checklists
from tests import helpers
from tests.browser.test_offline import (  # noqa: F401 (draft and server are fixtures)
    CHILD_VOICE,
    draft,
    fill,
    open_tablet,
    ready_offline,
    saves_per_section,
    sections,
    server,
    sign_in,
    signed_in_tablet,
    wait_for,
)
from tests.conftest import PASSWORD

RATING_LATER = "The rating is worked out when this is sent."


def check_answers(html: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Check answers as a practitioner reads it: each section's title and its rows."""
    words = lambda tag: " ".join(tag.get_text(" ").split())  # noqa: E731
    return [
        (
            words(card.select_one(".govuk-summary-card__title")),
            [(words(row.dt), words(row.dd)) for row in card.select(".govuk-summary-list__row")],
        )
        for card in helpers.page(html).select("[data-heat-check-section]")
    ]


def test_check_answers_shows_the_tablets_saves_offline_after_a_restart_and_as_the_server_stores_them(
    app,
    server,  # noqa: F811
    chromium,
    draft,  # noqa: F811
    tmp_path,
    signed_in,
):
    """Issue 21 item 3: every section saved with no signal; Check answers shows the answers the
    tablet holds (never "Not answered" for one saved there), also after a reload and after the
    browser restarts offline, and no rating until the server works it out; once sent, the open
    page shows the server's rating by itself, and what it showed is what the server stores."""
    worker, assessment_id = draft
    check = f"{server.url}/assessments/{assessment_id}/check"
    profile = tmp_path / "profile"
    tablet, page = signed_in_tablet(chromium, profile, server.url, worker.email)
    ready_offline(page, f"{server.url}/assessments/{assessment_id}")
    page.goto(check)
    before = check_answers(page.content())
    assert sum(value == "Not answered" for _, rows in before for _, value in rows) > 30

    tablet.set_offline(True)
    page.goto(f"{server.url}/assessments/{assessment_id}")
    page.get_by_role("link", name="Visit details").click()
    for section_id, data in sections(app):
        if section_id == "people":
            # Left unanswered, a new adult's parental responsibility is "Not known" on the
            # household's register, which the server shows and the tablet (holding only what was
            # typed) cannot know.
            data = {**data, "people-0-parental_responsibility": "yes"}
        fill(page, section_id, data)
        page.get_by_role("button", name="Save and continue").click()
        # Every save, one after another: said by the page it opens.
        expect(page.get_by_text("Saved on this tablet. It will be sent when you are back online.")).to_be_visible()
    expect(page.get_by_role("heading", name="Check your answers before submitting")).to_be_visible()
    expect(page.get_by_text(RATING_LATER)).to_be_visible()
    expect(page.get_by_text("If submitted now")).to_have_count(0)
    held = check_answers(page.content())
    assert held != before
    assert not [label for _, rows in held for label, value in rows if value == "Not answered"]
    assert [title for title, _ in held] == [title.removesuffix(" (Not started)") for title, _ in before]
    page.reload()
    expect(page.get_by_text(RATING_LATER)).to_be_visible()
    assert check_answers(page.content()) == held
    tablet.close()

    # The browser closed and opened again, still with no signal: unlocked, the same answers.
    server.stop()
    tablet = open_tablet(chromium, profile)
    page = tablet.new_page()
    page.goto(check)
    expect(page.get_by_role("heading", name="Unlock with your password")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Unlock with your password").click()
    expect(page.get_by_text(RATING_LATER)).to_be_visible()
    assert check_answers(page.content()) == held

    # Back with a signal and signed in again: sent, and the open page shows the server's rating.
    server.start()
    page.goto(check)
    page.get_by_role("link", name="Sign in again").click()
    sign_in(page, worker.email)
    wait_for(lambda: saves_per_section(app, assessment_id) == {s: 1 for s, _ in sections(app)})
    expect(page.get_by_text("If submitted now, the overall rating would be Amber")).to_be_visible(timeout=30000)
    stored = check_answers(signed_in(worker).get(f"/assessments/{assessment_id}/check").get_data(as_text=True))
    assert held == stored
    assert check_answers(page.content()) == stored
    tablet.close()


SIGNED_OUT = "You have been signed out. Your saves are kept on this tablet"


@pytest.mark.parametrize("ended", ["idle", "cookie gone"])
def test_the_sign_in_page_after_the_session_ends_says_why_once_and_nothing_stale_after(
    app,
    server,  # noqa: F811
    chromium,
    draft,  # noqa: F811
    tmp_path,
    ended,
):
    """Issue 21 item 11: the session ends (for inactivity, or its cookie is gone) with a save
    waiting on the tablet; the sign-in page says why once, and after signing in no "You have been
    signed out" is left."""
    worker, assessment_id = draft
    tablet, page = signed_in_tablet(chromium, tmp_path / "profile", server.url, worker.email)
    ready_offline(page, f"{server.url}/assessments/{assessment_id}")
    tablet.set_offline(True)
    page.goto(f"{server.url}/assessments/{assessment_id}/sections/voice")
    page.locator(CHILD_VOICE).fill("Showed me her new shoes.")
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.get_by_text("Saved on this tablet. It will be sent when you are back online.")).to_be_visible()

    # The server's session ends; back online, the tablet finds it gone.
    idle = app.config["HEAT_IDLE_TIMEOUT"]
    if ended == "idle":
        app.config["HEAT_IDLE_TIMEOUT"] = dt.timedelta(seconds=-1)
    else:
        tablet.clear_cookies(name="heat_session")
    tablet.set_offline(False)
    expect(page.get_by_text(SIGNED_OUT)).to_have_count(1, timeout=20000)
    if ended == "idle":
        page.get_by_role("link", name="Sign in again").click()
    else:
        page.goto(f"{server.url}/caseload")  # a page the server must answer
    expect(page.get_by_role("heading", name="Sign in to HEAT")).to_be_visible()
    inactive = page.get_by_text("You were signed out because the app was not used for 30 minutes")
    expect(inactive).to_have_count(1 if ended == "idle" else 0)
    expect(page.get_by_text("Sign in to continue.")).to_have_count(0 if ended == "idle" else 1)
    # Nothing the tablet did meanwhile (its background fetches found the session gone too) queued
    # the message again: once read, "Sign in to continue." is gone; the reason for a time-out stays.
    page.reload()
    expect(inactive).to_have_count(1 if ended == "idle" else 0)
    expect(page.get_by_text("Sign in to continue.")).to_have_count(0)

    app.config["HEAT_IDLE_TIMEOUT"] = idle
    sign_in(page, worker.email)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    wait_for(lambda: saves_per_section(app, assessment_id).get("voice") == 1)
    expect(page.get_by_text(SIGNED_OUT)).to_have_count(0)
    page.goto(f"{server.url}/caseload")
    expect(page.get_by_role("heading", name="team caseload")).to_be_visible()
    expect(page.get_by_text(SIGNED_OUT)).to_have_count(0)
    expect(page.get_by_text("Sign in to continue.")).to_have_count(0)
    tablet.close()


def errors_shown(html: str) -> dict:
    """The error summary's links and the messages on the questions, as a practitioner reads them."""
    shown = helpers.page(html)
    words = lambda tag: " ".join(tag.get_text(" ").split())  # noqa: E731
    return {
        "summary": [(words(a), a["href"]) for a in shown.select(".govuk-error-summary__list a")],
        "inline": [words(p) for p in shown.select(".govuk-error-message")],
        "groups": len(shown.select(".govuk-form-group--error")),
        "title": words(shown.title).startswith("Error: "),
    }


@pytest.mark.parametrize("signal", ["online", "offline"])
def test_a_room_not_seen_without_a_reason_stays_on_its_page_with_the_servers_own_messages(
    app,
    server,  # noqa: F811
    chromium,
    draft,  # noqa: F811
    tmp_path,
    signed_in,
    signal,
):
    """Issue 21 item 7: with the assessment kept on the tablet, online or with no signal, a room
    Not seen without a reason, a room's answer missing and a reason too long keep the page where
    it is with the GOV.UK error summary, focused, and the same messages, links and marks as the
    server gives for the same answers sent without the page's script; nothing is saved or queued."""
    worker, assessment_id = draft
    definition = checklists_definition(app, assessment_id)
    rooms = definition.rooms
    answers = helpers.rooms_data(definition)
    answers[f"status_{rooms[0].id}"] = "not_seen"  # no reason given
    answers[f"status_{rooms[1].id}"] = "refused"
    answers[f"reason_{rooms[1].id}"] = "The carer would not say why. " * 20  # over 500 characters
    del answers[f"status_{rooms[2].id}"]  # not answered
    path = f"/assessments/{assessment_id}/sections/rooms"

    client = signed_in(worker)
    html = client.get(path).get_data(as_text=True)
    refused = client.post(
        path,
        data={
            **answers,
            "csrf_token": client.token,
            "version": helpers.field_value(html, "version"),
            "save_key": helpers.field_value(html, "save_key"),
            "save": "Save and continue",
        },
    )
    assert refused.status_code == 200
    expected = errors_shown(refused.get_data(as_text=True))
    assert len(expected["summary"]) == 3 and expected["title"]

    tablet, page = signed_in_tablet(chromium, tmp_path / "profile", server.url, worker.email)
    ready_offline(page, f"{server.url}/assessments/{assessment_id}")
    if signal == "offline":
        tablet.set_offline(True)
    page.goto(server.url + path)
    fill(page, "rooms", answers)
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    assert page.url == server.url + path
    assert errors_shown(page.content()) == expected
    summary.get_by_role("link", name=f"{rooms[0].label}: say why it was not seen").click()
    expect(page.locator(f"#reason_{rooms[0].id}")).to_be_focused()
    expect(page.locator("[data-heat-waiting]")).to_be_hidden()  # nothing waits on the tablet

    # Put right, the page moves on (saved on the tablet, with no signal).
    fill(page, "rooms", {**{f"reason_{room.id}": "" for room in rooms}, **helpers.rooms_data(definition)})
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    page.wait_for_url(lambda url: not url.endswith("/sections/rooms"))
    if signal == "offline":
        expect(page.get_by_text("Saved on this tablet. It will be sent when you are back online.")).to_be_visible()
        assert saves_per_section(app, assessment_id) == {}
    else:
        wait_for(lambda: saves_per_section(app, assessment_id) == {"rooms": 1})
    tablet.close()


def checklists_definition(app, assessment_id):
    with app.app_context():
        return checklists.definition_for(db.session.get(Assessment, assessment_id))


def test_saved_on_this_tablet_shows_after_every_save_even_a_double_tap(
    app,
    server,  # noqa: F811
    chromium,
    draft,  # noqa: F811
    tmp_path,
):
    """Issue 21 item 3: with no signal, a double tap on "Save and continue" and saves one straight
    after another each say "Saved on this tablet" on the page they open; each section waits once
    and arrives once."""
    worker, assessment_id = draft
    tablet, page = signed_in_tablet(chromium, tmp_path / "profile", server.url, worker.email)
    ready_offline(page, f"{server.url}/assessments/{assessment_id}")
    tablet.set_offline(True)
    page.goto(f"{server.url}/assessments/{assessment_id}/sections/visit")
    saved = page.get_by_text("Saved on this tablet. It will be sent when you are back online.")
    first_three = sections(app)[:3]
    for n, (section_id, data) in enumerate(first_three, start=1):
        fill(page, section_id, data)
        button = page.get_by_role("button", name="Save and continue")
        if n == 1:
            button.dblclick()  # a double tap: one save
        else:
            button.click()
        expect(saved).to_be_visible()
        expect(page.locator("[data-heat-waiting]")).to_have_text(
            "1 save waiting to be sent" if n == 1 else f"{n} saves waiting to be sent"
        )
    tablet.set_offline(False)
    wait_for(lambda: saves_per_section(app, assessment_id) == {s: 1 for s, _ in first_three})
    tablet.close()


def test_a_page_whose_form_was_just_sent_is_not_opened_again_by_the_tablet(
    app,
    server,  # noqa: F811
    chromium,
    draft,  # noqa: F811
    tmp_path,
):
    """A page opened from the tablet's copy is told when its copy is out of date (a submission sent
    meanwhile) and opens again. Not when its form has just been sent: opening it again would cancel
    the way on to the next page, and the practitioner's "Submit assessment" would seem to fall back
    to Check answers (found by bench/slow_visit.py on a slow link)."""
    worker, assessment_id = draft
    tablet, page = signed_in_tablet(chromium, tmp_path / "profile", server.url, worker.email)
    ready_offline(page, f"{server.url}/assessments/{assessment_id}")
    tablet.set_offline(True)
    page.goto(f"{server.url}/assessments/{assessment_id}/sections/visit")
    fill(page, "visit", helpers.visit_data())
    # The tablet's word comes as the form goes, as it does when the link sends a submission first.
    page.evaluate(
        """() => addEventListener("submit", () => setTimeout(() => navigator.serviceWorker.dispatchEvent(
            new MessageEvent("message", { data: { type: "out-of-date" } })), 0))"""
    )
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator('form[data-heat-section="people"]')).to_be_visible()
    expect(page.get_by_text("Saved on this tablet. It will be sent when you are back online.")).to_be_visible()
    tablet.set_offline(False)
    wait_for(lambda: saves_per_section(app, assessment_id) == {"visit": 1})
    tablet.close()
