"""Tablet page weight: HTML + CSS + JS of the heaviest checklist section page, gzipped.

Target (../shared/targets.md): at most 100 KB gzipped, fonts aside. Prints figures; asserts nothing.
Run: make bench
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402

TARGET_KB = 100


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "bench", "HEAT_ENV": "development"}
        )
        with app.app_context():
            upgrade()
        assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
        client = app.test_client()
        page = client.get("/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|value="([^"]+)"', page).group(1)
        client.post(
            "/sign-in",
            data={"csrf_token": token, "email": "north-worker@example.org", "password": "heat-demo-password"},
        )
        child = client.get("/children/3/assessments/new").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', child).group(1)
        key = re.search(r'name="start_key" type="hidden" value="([^"]+)"', child).group(1)
        draft = client.post(
            "/children/3/assessments/new", data={"csrf_token": token, "start_key": key, "children": ["3"]}
        ).headers["Location"]

        rows = []
        for section in ["visit", "people", "rooms", "general", "safety", "actions"]:
            html = client.get(f"{draft}/sections/{section}").data
            rows.append((section, html))
        assets = {}
        for path in re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', rows[0][1].decode()):
            response = client.get(path)
            assets[path] = response.get_data()
            response.close()
        # heat.js imports GOV.UK Frontend's script: it is part of the page's weight too.
        manifest = json.loads((Path(app.static_folder) / "dist" / "manifest.json").read_text())
        for name in ("govuk-frontend.min.js",):
            response = client.get(f"/static/dist/{manifest[name]}")
            assets[name] = response.get_data()
            response.close()

        asset_gz = sum(len(gzip.compress(body, 9)) for body in assets.values())
        print(f"{'page':<28}{'HTML raw':>10}{'HTML gz':>10}{'+CSS/JS gz':>12}{'total gz':>10}  target {TARGET_KB} KB")
        for section, html in rows:
            html_gz = len(gzip.compress(html, 9))
            total = html_gz + asset_gz
            print(
                f"{'section ' + section:<28}{len(html) / 1024:>9.1f}K{html_gz / 1024:>9.1f}K"
                f"{asset_gz / 1024:>11.1f}K{total / 1024:>9.1f}K  {total / 1024 / TARGET_KB:.0%} of target"
            )
        for path, body in assets.items():
            print(f"  {path}: {len(body) / 1024:.1f} KB raw, {len(gzip.compress(body, 9)) / 1024:.1f} KB gzipped")


if __name__ == "__main__":
    main()
