"""A visit on the tablet with a signal downloads what changed and nothing else: a save sends the
save, the pages the tablet keeps are asked for with their validators (304: kept) and downloaded
again only when the server's changed, and every save still arrives exactly once (issue 21 item 8).
The server counts what it is asked: the page's requests and the service worker's alike."""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import expect

from tests import helpers
from tests.browser.test_offline import (
    Server,
    assessment,
    fill,
    ready_offline,
    saves_per_section,
    sections,
    signed_in_tablet,
    wait_for,
)


class Counted:
    """The app, counting each request it answers: (method, path, status)."""

    def __init__(self, app):
        self.app = app
        self.seen: list[tuple[str, str, int]] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        def counted(status, headers, *rest):
            with self.lock:
                self.seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], int(status.split()[0])))
            return start_response(status, headers, *rest)

        return self.app(environ, counted)

    def since(self, mark: int) -> list[tuple[str, str, int]]:
        with self.lock:
            return self.seen[mark:]


@pytest.fixture
def draft(app, make, signed_in):
    team = make.team()
    worker = make.user("practitioner", team)
    return worker, helpers.start(signed_in(worker), make.child(team).id)


def test_a_visit_with_a_signal_downloads_no_page_its_saves_did_not_change_and_arrives_once(
    app, chromium, draft, tmp_path
):
    worker, assessment_id = draft
    counted = Counted(app)
    server = Server(counted)
    server.start()
    try:
        tablet, page = signed_in_tablet(chromium, tmp_path / "profile", server.url, worker.email)
        ready_offline(page, f"{server.url}/assessments/{assessment_id}")
        mark = len(counted.seen)

        page.get_by_role("link", name="Visit details").click()
        for section_id, data in sections(app):
            fill(page, section_id, data)
            page.get_by_role("button", name="Save and continue").click()
        expect(page.get_by_role("button", name="Submit assessment")).to_be_visible()
        page.get_by_role("button", name="Submit assessment").click()
        expect(page.get_by_role("heading", name="Assessment submitted")).to_be_visible(timeout=30000)
        wait_for(lambda: assessment(app, assessment_id).status == "submitted")
        asked = counted.since(mark)
        tablet.close()
    finally:
        server.stop()

    assert saves_per_section(app, assessment_id) == {s: 1 for s, _ in sections(app)}  # each exactly once
    here = f"/assessments/{assessment_id}"
    # Only the saves and the submission were sent (one sent again after a slow answer is stored once).
    posts = {(path, status) for method, path, status in asked if method == "POST"}
    assert posts == {(f"/api{here}/sections/{s}", 200) for s, _ in sections(app)} | {(f"/api{here}/submit", 200)}
    pages = [(path, status) for method, path, status in asked if method == "GET" and path.startswith(here)]
    section_pages = [(path, status) for path, status in pages if "/sections/" in path]
    # Every section opened from the tablet's copy: none downloaded again, whether or not the
    # tablet asked (a 304 is a question answered "unchanged", with no page; a 302 once it is submitted).
    assert 200 not in {status for _, status in section_pages}, section_pages
    downloaded = [path for path, status in pages if status == 200]
    # Downloaded: check answers, once, as the saves had changed it; then the result. The task list
    # too if the submission was still on its way when the page moved on (the saves changed it, so
    # the server's copy comes first: "Submitted on this tablet"), whether it is depends on timing.
    assert set(downloaded) <= {here, f"{here}/check", f"{here}/submitted"}, downloaded
    assert downloaded.count(f"{here}/check") == 1 and downloaded.count(here) <= 2, downloaded
    assert not [path for method, path, _ in asked if method == "GET" and re.fullmatch(r"/children/\d+.*", path)]
