"""A real HTTP server around the test app, and a small cookie-keeping client for it: for tests
where requests must really overlap (threads), which the in-process test client cannot do."""

from __future__ import annotations

import http.client
import http.cookies
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from werkzeug.serving import make_server

from tests.conftest import PASSWORD
from tests.helpers import field_value


@contextmanager
def serving(app) -> Iterator[int]:
    """Serve `app` on a free loopback port, one thread per request; yields the port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join()


@dataclass
class Reply:
    status: int
    location: str
    data: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def body(self) -> str:
        return self.data.decode()


class Browser:
    """Keeps its cookies like a browser; never follows redirects, so tests see them."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.token = ""

    def _send(self, method: str, path: str, fields: list[tuple[str, str]] | None = None) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        connection.close()
        return Reply(response.status, response.getheader("Location", ""), data, dict(response.headers))

    def get(self, path: str) -> Reply:
        return self._send("GET", path)

    def post(self, path: str, fields: dict | list) -> Reply:
        items = []
        for name, value in fields.items() if isinstance(fields, dict) else fields:
            items += [(name, v) for v in value] if isinstance(value, list) else [(name, value)]
        return self._send("POST", path, [("csrf_token", self.token), *items])

    def sign_in(self, email: str) -> Browser:
        self.token = field_value(self.get("/sign-in").body, "csrf_token")
        assert self.post("/sign-in", {"email": email, "password": PASSWORD}).status == 302
        self.token = field_value(self.get("/caseload").body, "csrf_token")
        return self


def all_at_once(*jobs) -> list:
    """Run the jobs on threads released together; returns their results in order."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(i, job):
        barrier.wait()
        try:
            results[i] = job()
        except BaseException as exc:  # noqa: BLE001 - reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results
