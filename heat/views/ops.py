"""For the platform team's machines, not for people: health and readiness for the load balancer,
metrics for Prometheus. None of them reads or writes the session cookie or the audit trail
(security.init_app leaves this blueprint's requests alone): they hold no personal data, and they
must answer while the database is down."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from heat import metrics
from heat.services import access, health

bp = Blueprint("ops", __name__)
_queue_depth = metrics.QueueDepth(health.queue_depth)


@bp.route("/healthz")
def healthz() -> ResponseReturnValue:
    """The process answers. Nothing else is asked: a database outage must not get every instance
    restarted by its orchestrator (that is what /readyz is for)."""
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz() -> ResponseReturnValue:
    """Ready to serve pages (200), or not (503) with the reason: take this instance out of the
    load balancer until it is."""
    checked = health.readiness()
    body: dict[str, object] = {"status": "ready" if checked.ready else "not ready", "checks": checked.checks}
    if not checked.ready:
        body["reason"] = checked.reason
    return jsonify(body), 200 if checked.ready else 503


@bp.route("/metrics")
def prometheus() -> ResponseReturnValue:
    if not access.metrics_allowed(request.headers.get("Authorization")):
        return Response("A bearer token is needed.\n", 401, {"WWW-Authenticate": "Bearer"}, mimetype="text/plain")
    page, content_type = metrics.exposition(_queue_depth)
    return Response(page, content_type=content_type)
