"""Issue 21 item 6: HEAT can be installed on a tablet. The web app manifest is served to anyone
(the sign-in page links it), names the app, opens at "/" in a window of its own, and its icons
(one maskable) are served at the sizes it says. Chromium's own verdict: tests/browser/test_tablet_photos.py."""

from __future__ import annotations

import io

from PIL import Image

from tests import helpers


def test_the_manifest_is_valid_served_and_linked_from_every_page(app):
    client = app.test_client()
    sign_in = helpers.page(client.get("/sign-in"))
    link = sign_in.select_one('link[rel="manifest"]')
    assert link is not None and link["href"] == "/manifest.webmanifest"
    assert sign_in.select_one('meta[name="theme-color"]')["content"] == "#0b0c0c"
    response = client.get(link["href"])
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["name"] == "HEAT – Home Environment Assessment Tool" and manifest["short_name"] == "HEAT"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/", "/", "standalone")
    assert manifest["theme_color"] == "#0b0c0c" and manifest["background_color"] == "#ffffff"
    purposes = set()
    for icon in manifest["icons"]:
        served = client.get(icon["src"])
        assert served.status_code == 200 and served.mimetype == "image/png", icon["src"]
        with Image.open(io.BytesIO(served.get_data())) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"] and image.format == "PNG"
        served.close()
        purposes.add(icon["purpose"])
    assert {"any", "maskable"} <= purposes
    assert any(icon["sizes"] == "512x512" and icon["purpose"] == "any" for icon in manifest["icons"])
    assert any(icon["sizes"] == "192x192" for icon in manifest["icons"])
    apple = sign_in.select_one('link[rel="apple-touch-icon"]')["href"]
    touch = client.get(apple)
    assert touch.status_code == 200
    touch.close()
