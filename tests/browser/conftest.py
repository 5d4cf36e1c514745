"""Browser tests: the real app served on loopback, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.browser.accessibility import Checker
from tests.live import serving

CHROMIUM = os.environ.get("HEAT_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def live_server(app):
    with serving(app) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def playwright():
    """One Playwright for the run (its sync API cannot be started twice at once)."""
    # Never skipped: without Chromium the browser tests fail, loudly.
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), (
        f"Chromium not found at {CHROMIUM}: apt-get install -y chromium"
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def _browser(playwright):
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield chromium
    chromium.close()


@pytest.fixture(autouse=True)
def accessibility(_browser):
    """Every page state the test reaches passes axe (WCAG 2.0-2.2 A/AA) and reflows at 320 px and
    at 200% text; checked when the test ends (see accessibility.py)."""
    checker = Checker()
    yield checker
    problems = checker.problems(_browser)
    assert not problems, "Accessibility and reflow problems:\n" + "\n".join(problems)


class _Watched:
    """A browser (or launcher) whose new contexts are watched by the accessibility checker."""

    def __init__(self, real, checker: Checker):
        self._real, self._checker = real, checker

    def __getattr__(self, name):
        return getattr(self._real, name)

    def new_context(self, **options):
        context = self._real.new_context(**options)
        self._checker.watch_context(context)
        return context

    def launch_persistent_context(self, *args, **options):
        context = self._real.launch_persistent_context(*args, **options)
        self._checker.watch_context(context)
        return context


@pytest.fixture
def browser(_browser, accessibility):
    return _Watched(_browser, accessibility)


@pytest.fixture
def chromium(playwright, accessibility):
    """Chromium's launcher, for tests that need a browser profile of their own on disk."""
    return _Watched(playwright.chromium, accessibility)
