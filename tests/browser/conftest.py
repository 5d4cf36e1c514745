"""Browser tests: the real app served on loopback, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import os
import shutil

import pytest

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
def browser(playwright):
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def chromium(playwright):
    """Chromium's launcher, for tests that need a browser profile of their own on disk."""
    return playwright.chromium
