"""PDF rendering with WeasyPrint.

The print template gets plain data, autoescaped like every page. The URL fetcher serves only
files packaged under static/print/, and the visit's photos inline (data:image/jpeg, made by
services/photos.py): no file:// paths, no network, no redirects, so text that anyone typed can
never make a PDF fetch or embed anything.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from urllib.parse import urlsplit

from flask import render_template
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

PRINT_ASSETS = Path(__file__).resolve().parents[2] / "static" / "print"
BASE_URL = "heat-asset:///"
MIME_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}
INLINE_PHOTO = "data:image/jpeg;base64,"


class BlockedFetch(ValueError):
    """A PDF asked for something that is not one of our packaged print assets."""


class PackagedAssetFetcher(URLFetcher):
    """Answers heat-asset:///name from static/print/ and refuses everything else."""

    def __init__(self):
        super().__init__(allowed_protocols=("heat-asset",), allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if url.startswith(INLINE_PHOTO):
            try:
                photo = base64.b64decode(url.removeprefix(INLINE_PHOTO), validate=True)
            except (binascii.Error, ValueError):
                photo = b""
            if photo.startswith(b"\xff\xd8"):  # a JPEG, as the app makes them
                return URLFetcherResponse("photo.jpg", photo, {"Content-Type": "image/jpeg"})
        parts = urlsplit(url)
        path = (PRINT_ASSETS / parts.path.lstrip("/")).resolve()
        allowed = (
            parts.scheme == "heat-asset"
            and not parts.netloc
            and PRINT_ASSETS in path.parents
            and path.suffix in MIME_TYPES
            and path.is_file()
        )
        if not allowed:
            self.refused.append(url)
            raise BlockedFetch("only packaged print assets may be fetched")
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": MIME_TYPES[path.suffix]})


def render_pdf(template: str, **context) -> bytes:
    """A tagged PDF (PDF/UA-1): headings, tables and reading order reach screen readers, and the
    document's title and language (en-GB) come from the template's <title> and <html lang>."""
    html = render_template(template, **context)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=PackagedAssetFetcher())
    return document.write_pdf(pdf_variant="pdf/ua-1")
