"""Every page state a browser test reaches is checked for accessibility and reflow.

Each page the tests load (JavaScript on or off, online or from the tablet's service worker) is
copied as it stands once loaded: its DOM after our script ran. When the test ends, each distinct
copy is opened on its own, with the built stylesheet inlined and no scripts, and checked:

- axe-core (the npm package) against the WCAG 2.0, 2.1 and 2.2 A and AA rules: no violations;
- reflow: nothing scrolls sideways at 320 CSS px wide, nor at 768 px with the browser's text
  size at 200% (its default font size doubled, as a user's text-size setting does).

The checking browser context bypasses CSP to inject axe; the app's CSP stays as strict as ever.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
NARROW, WIDE = 320, 768
# Page states (by the key below) already checked in this test process and found sound: a later
# test that reaches the same state needs no second check of it (each pytest-xdist worker keeps
# its own; a state with problems is never remembered, so it is reported by every test reaching it).
SOUND: set[str] = set()


@cache
def _axe() -> str:
    """axe-core, read when a browser test first checks a page (never at import: the quick tier runs
    without node_modules)."""
    return (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text()


def _stylesheet() -> str:
    manifest = json.loads((ROOT / "static" / "dist" / "manifest.json").read_text())
    return (ROOT / "static" / "dist" / manifest["heat.css"]).read_text()


@dataclass
class PageState:
    url: str
    html: str


@dataclass
class Checker:
    """Collects page states from every page of the contexts it is given; `problems()` checks them."""

    states: dict[str, PageState] = field(default_factory=dict)

    def watch_context(self, context) -> None:
        for page in context.pages:
            self.watch_page(page)
        context.on("page", self.watch_page)

    def watch_page(self, page) -> None:
        page.on("load", lambda: self._copy(page))

    def _copy(self, page) -> None:
        try:
            html = page.content()
        except Exception:  # the page closed or navigated on before it could be copied
            return
        key = hashlib.sha256(_comparable(html).encode()).hexdigest()
        self.states.setdefault(key, PageState(page.url, html))

    def problems(self, browser) -> list[str]:
        """Every violation and sideways scroll, one line each, over the distinct page states."""
        unchecked = {key: state for key, state in self.states.items() if key not in SOUND}
        if not unchecked:
            return []
        css = _stylesheet()
        context = browser.new_context(viewport={"width": NARROW, "height": 800}, bypass_csp=True)
        page = context.new_page()
        found = []
        try:
            for key, state in unchecked.items():
                problems = _check(page, state, css)
                found += problems
                if not problems:
                    SOUND.add(key)
        finally:
            context.close()
        if os.environ.get("HEAT_A11Y_REPORT"):  # say which page states were checked
            print(
                f"\naccessibility: {len(unchecked)} page states checked ({len(self.states) - len(unchecked)} before):"
            )
            print("\n".join(sorted({s.url for s in unchecked.values()})))
        return found


def _comparable(html: str) -> str:
    """The page without what changes at every load (tokens, nonces, keys, times)."""
    html = re.sub(r'(value|nonce|content)="[^"]*"', "", html)
    return re.sub(r"\d{1,2}:\d{2}(:\d{2})?", "", html)


def _standalone(html: str, css: str) -> str:
    """The copied page with the stylesheet inlined and no scripts, so it renders on its own."""
    html = re.sub(r"<script\b.*?</script>", "", html, flags=re.S)
    html = re.sub(r'<link[^>]+rel="stylesheet"[^>]*>', "", html)
    return html.replace("</head>", f"<style>{css}</style></head>", 1)


def _check(page, state: PageState, css: str) -> list[str]:
    page.set_viewport_size({"width": NARROW, "height": 800})
    page.set_content(_standalone(state.html, css))
    page.add_script_tag(content=_axe())
    result = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
             .then(r => r.violations.map(v => {
               const where = v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ');
               return `${v.id} (${v.impact}): ${where}`;
             }))""",
        WCAG_TAGS,
    )
    found = [f"{state.url}: axe {line}" for line in result]
    wide = page.evaluate("document.documentElement.scrollWidth")
    if wide > NARROW:
        found.append(f"{state.url}: scrolls sideways at {NARROW} px ({wide} px wide: {_widest(page, NARROW)})")
    page.set_viewport_size({"width": WIDE, "height": 800})
    text = page.context.new_cdp_session(page)
    text.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})  # the browser's text at 200%
    wide = page.evaluate("document.documentElement.scrollWidth")
    if wide > WIDE:
        found.append(f"{state.url}: scrolls sideways at {WIDE} px with 200% text ({wide} px: {_widest(page, WIDE)})")
    text.send("Page.setFontSizes", {"fontSizes": {"standard": 16, "fixed": 13}})
    text.detach()
    return found


def _widest(page, width: int) -> str:
    """The outermost elements that stick out past the viewport, to say what to fix."""
    return page.evaluate(
        """width => {
          const out = [...document.body.querySelectorAll('*')].filter(e => {
            const r = e.getBoundingClientRect();
            return r.right > width + 1 && !e.closest('.heat-scroll');
          });
          const outer = out.filter(e => !out.includes(e.parentElement));
          const name = e => e.tagName.toLowerCase() + (e.className ? '.' + [...e.classList].join('.') : '');
          return outer.slice(0, 3).map(name).join(', ');
        }""",
        width,
    )
