"""A whole assessment completed with the keyboard alone: Tab to move, Space and the arrow keys to
choose, typing to answer, Enter to follow links and press buttons. No mouse, no JavaScript."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from forms.assessment import section_form
from heat.services import assessments as svc
from heat.services import checklists
from tests.browser.test_tablet import seed

FOCUSED = """() => {
  const e = document.activeElement;
  const group = e.type === 'radio' ? document.querySelectorAll(`input[name="${e.name}"]:checked`).length : 0;
  return {tag: e.tagName.toLowerCase(), type: e.type || '', name: e.name || '', id: e.id || '',
          value: e.value || '', text: (e.innerText || '').trim(), chosen: group > 0};
}"""


def needed(app) -> set[str]:
    """The names of the answers each section needs, from the forms themselves."""
    with app.app_context():
        definition = checklists.current_definition()
        names = {"people-0-name"}
        for section in svc.sections(definition):
            names |= {f.name for f in section_form(definition, section.id)(meta={"csrf": False}) if f.flags.required}
        return names


def answer(page, focused, names) -> None:
    today = dt.date.today()
    if focused["type"] == "radio":
        if not focused["chosen"]:
            # The first choice, or for a grade "2 Adequate" (one step down the scale).
            page.keyboard.press("ArrowDown" if focused["name"].startswith("grade_") else "Space")
        return
    if focused["tag"] not in ("input", "textarea") or focused["value"] or focused["type"] in ("hidden", "checkbox"):
        return
    parts = {"-day": str(today.day), "-month": str(today.month), "-year": str(today.year)}
    for suffix, value in parts.items():
        if focused["id"].endswith(suffix) and focused["name"] in names:
            page.keyboard.type(value)
            return
    if focused["name"] == "visit_time":
        page.keyboard.type("2.30pm")
    elif focused["name"] in names or focused["name"].startswith("voice_"):  # each child's own voice (2026.4)
        page.keyboard.type("Typed with the keyboard alone.")


def enter(page) -> None:
    """Enter on a link or button that opens another page, waiting for it."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def tab_to(page, test, limit=400):
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if test(focused):
            return focused
    raise AssertionError("never reached by Tab")


def test_an_assessment_completed_with_the_keyboard_alone(app, live_server, browser):
    seed(app)
    names = needed(app)
    context = browser.new_context(viewport={"width": 1024, "height": 768}, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/sign-in")
    tab_to(page, lambda f: f["id"] == "email")
    page.keyboard.type("north-worker@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("heat-demo-password")
    enter(page)
    expect(page.get_by_role("heading", name="North team caseload")).to_be_visible()
    tab_to(page, lambda f: f["text"] == "Mia Hughes")
    enter(page)
    tab_to(page, lambda f: f["text"] == "Start a new assessment")
    enter(page)
    tab_to(page, lambda f: f["text"] == "Start a new assessment" and f["tag"] == "button")
    enter(page)
    tab_to(page, lambda f: f["text"].startswith("Visit details"))
    enter(page)

    for _ in range(40):  # each section, and again after any error it shows
        if page.get_by_role("heading", name="Check your answers before submitting").count():
            break
        expect(page.locator("form[data-heat-section]")).to_be_visible()
        for _ in range(600):
            page.keyboard.press("Tab")
            focused = page.evaluate(FOCUSED)
            if focused["tag"] == "button" and focused["text"] == "Save and continue":
                enter(page)
                break
            answer(page, focused, names)
    expect(page.get_by_role("heading", name="Check your answers before submitting")).to_be_visible()
    tab_to(page, lambda f: f["text"] == "Submit assessment")
    enter(page)
    expect(page.get_by_role("heading", name="Assessment submitted")).to_be_visible()
    context.close()
