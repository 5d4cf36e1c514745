"""What the platform team watches: each request and each background task counted and timed (the
Prometheus metrics in heat.metrics) and, with HEAT_LOG_FORMAT=json, written as one JSON line.

A line says which route (its name, never the URL), the status, how long it took, the request id
and a hashed user id (an HMAC of the id under the secret key: the same person is the same hash,
and nobody without the key can tell who). Never a name, an email, a case reference or an answer.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import sys
import time

from flask import Flask, current_app, g, request
from flask.typing import ResponseReturnValue
from pythonjsonlogger.json import JsonFormatter

from heat import metrics
from heat.security import request_id

log = logging.getLogger("heat")
requests_log = logging.getLogger("heat.requests")
tasks_log = logging.getLogger("heat.tasks")


def json_formatter() -> logging.Formatter:
    """One JSON object a line: time (UTC), level, logger, message and the line's own fields.
    gunicorn's own lines use it too (gunicorn.conf.py)."""
    renamed = {"levelname": "level", "name": "logger"}
    return JsonFormatter("{levelname}{name}{message}", style="{", rename_fields=renamed, timestamp="time")


def json_handler(stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(json_formatter())
    handler._heat_json = True  # type: ignore[attr-defined]  # replaced, never doubled, by a second app
    return handler


def configure_logging(log_format: str) -> None:
    """HEAT_LOG_FORMAT=json: every log line (ours, Flask's, the libraries') is one JSON object on
    standard error, and the request and task lines are written; text (the default) leaves the
    logging as it is (gunicorn's access log names each request)."""
    if log_format != "json":
        return
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_heat_json", False)]:
        root.removeHandler(handler)
    root.addHandler(json_handler())
    log.setLevel(logging.INFO)


def hashed_user(user_id: int) -> str:
    secret = current_app.config["SECRET_KEY"]
    key = secret if isinstance(secret, bytes) else secret.encode()
    return hmac.new(key, f"log:{user_id}".encode(), hashlib.sha256).hexdigest()[:16]


def _started() -> None:
    g.started_at = time.perf_counter()


def _answered(response: ResponseReturnValue):
    seconds = time.perf_counter() - g.get("started_at", time.perf_counter())
    route = request.endpoint or "unmatched"  # no route matched (a 404): never the URL itself
    status = response.status_code  # type: ignore[union-attr]
    metrics.REQUESTS.labels(route, request.method, str(status)).inc()
    metrics.REQUEST_SECONDS.labels(route, request.method).observe(seconds)
    if requests_log.isEnabledFor(logging.INFO):
        user = g.get("_login_user")  # only if this request loaded it: never a query here
        requests_log.info(
            "request",
            extra={
                "request_id": request_id(),
                "route": route,
                "method": request.method,
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
                "user": hashed_user(user.id) if user is not None and user.is_authenticated else None,
            },
        )
    return response


def init_app(app: Flask) -> None:
    app.before_request(_started)
    app.after_request(_answered)


_running: dict[str, float] = {}


def task_started(name: str, task_id: str) -> None:
    _running[task_id] = time.perf_counter()


def task_ended(name: str, task_id: str, outcome: str) -> None:
    """A task's duration in the metrics, and its JSON line: its name, id and outcome, never its
    arguments."""
    seconds = time.perf_counter() - _running.pop(task_id, time.perf_counter())
    metrics.TASK_SECONDS.labels(name, outcome).observe(seconds)
    tasks_log.info(
        "task",
        extra={"task": name, "task_id": task_id, "outcome": outcome, "duration_ms": round(seconds * 1000, 1)},
    )
