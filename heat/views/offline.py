"""The pieces of offline working the server provides: the service worker script (at the site's
root, so it may look after every page), the web app manifest that lets a tablet install HEAT, and
the names of the content-hashed static files."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, url_for

from heat.services import access
from heat.views import roles_required
from heat.views.filters import page_url_for

bp = Blueprint("offline", __name__)
HASHED = re.compile(r"\.[0-9a-f]{12}\.\w+(\.gz|\.br)?$")


@cache
def _manifest(static_folder: str) -> dict[str, str]:
    path = Path(static_folder) / "dist" / "manifest.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise RuntimeError(f"{path} is missing: run `make assets`") from None


def asset(name: str) -> str:
    """The URL of a built static file by its plain name (`heat.css`): its content-hashed copy.
    Tests that render pages without the built files (`make test-fast` on a fresh clone) get the
    plain name; everywhere else a missing build is an error that says to run `make assets`."""
    folder = current_app.static_folder or ""
    if current_app.testing and not (Path(folder) / "dist" / "manifest.json").exists():
        return page_url_for("static", filename="dist/" + name)
    return page_url_for("static", filename="dist/" + _manifest(folder)[name])


def immutable(path: str, url: str) -> bool:
    """Files with a content hash in their name never change: browsers keep them a year (app._static_headers)."""
    return bool(HASHED.search(url))


@cache
def _worker(static_folder: str) -> bytes:
    return (Path(static_folder) / "dist" / "sw.js").read_bytes()


@bp.route("/sw.js")
def service_worker():
    # Like every page, no-store (security.py): browsers never keep a stale worker.
    return Response(_worker(current_app.static_folder or ""), mimetype="text/javascript")


# The header's black (GOV.UK Frontend's theme-color), for the browser's bar around an installed HEAT.
THEME_COLOUR = "#0b0c0c"


@bp.route("/manifest.webmanifest")
def web_app_manifest():
    """What a tablet needs to install HEAT as an app (issue 21 item 6): it opens at "/", which the
    service worker answers with no signal, in a window of its own."""

    def icon(name: str, size: int, purpose: str) -> dict[str, str]:
        return {
            "src": url_for("static", filename=f"icons/{name}"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": purpose,
        }

    manifest = {
        "id": "/",
        "name": "HEAT – Home Environment Assessment Tool",
        "short_name": "HEAT",
        "description": "Room-by-room home environment assessments on home visits, with or without a signal.",
        "lang": "en-GB",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": THEME_COLOUR,
        "background_color": "#ffffff",
        "icons": [
            icon("heat-192.png", 192, "any"),
            icon("heat-512.png", 512, "any"),
            icon("heat-maskable-512.png", 512, "maskable"),
        ],
    }
    return Response(json.dumps(manifest, ensure_ascii=False, indent=1), mimetype="application/manifest+json")


@bp.route("/on-this-tablet")
@roles_required(*access.CASE_WORKERS)
def on_this_tablet():
    """What this tablet holds for the practitioner and what waits to be sent: a page the tablet
    fills from its own store (the server knows none of it), kept on the tablet so that it, and
    `/`, open with no signal."""
    return render_template("casework/on_this_tablet.html")


@bp.route("/on-this-tablet/pin")
@roles_required(*access.CASE_WORKERS)
def offline_pin():
    """ "Set an offline PIN": the PIN wraps the tablet's key to the practitioner's visits on the
    tablet itself (PBKDF2 in the page and the service worker), for "Unlock with your PIN" with no
    signal. The form has no named fields and no action: the PIN is never sent to the server."""
    return render_template("casework/offline_pin.html")


@bp.route("/unlock")
def unlock():
    """ "Unlock with your password" (or "with your PIN", if one was set on the tablet): what a
    tablet shows, with no signal, in place of a stored page when its store is locked (the browser
    was closed since the practitioner signed in). The tablet keeps this page; the password or PIN
    never leaves the page and the tablet."""
    return render_template("auth/unlock.html")
