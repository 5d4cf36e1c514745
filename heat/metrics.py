"""Prometheus metrics (the official client), for a council's dashboards and alerts.

Labels are a fixed vocabulary (route names, status codes, outcomes): never a URL, an id, a name
or an address. With several gunicorn workers, and the export worker beside them, each process
writes its values to files in PROMETHEUS_MULTIPROC_DIR and `/metrics` adds them up (the client's
multiprocess mode; gunicorn.conf.py marks a worker dead when it exits). Without that setting
(one process) the values are in memory.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REQUESTS = Counter("heat_requests_total", "Requests answered, by route name and status.", ["route", "method", "status"])
REQUEST_SECONDS = Histogram(
    "heat_request_duration_seconds",
    "Time to answer a request, by route name.",
    ["route", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
TASK_SECONDS = Histogram(
    "heat_task_duration_seconds",
    "Time a background task ran, by task name and outcome.",
    ["task", "outcome"],
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
)
EXPORTS = Counter("heat_exports_total", "Exports asked for, built, failed, or not queued (queue down).", ["outcome"])
SIGN_IN_FAILURES = Counter(
    "heat_sign_in_failures_total", "Failed sign-ins, by step (password, security code) or throttled.", ["step"]
)
TABLET_SAVES = Counter(
    "heat_tablet_saves_total", "Saves and submissions received from tablets, by kind and outcome.", ["kind", "outcome"]
)
CONFLICTS = Counter(
    "heat_edit_conflicts_total", "Saves or submissions refused as someone else changed it first.", ["kind", "via"]
)
REPLAYS = Counter(
    "heat_replays_total", "A save or submission sent again (a retry, the outbox) answered as the first.", ["kind"]
)
BACKUPS = Counter("heat_backups_total", "Scheduled backups taken and verified, or failed.", ["outcome"])
LAST_BACKUP = Gauge(
    "heat_backup_last_success_timestamp_seconds",
    "When the last scheduled backup was taken and verified (Unix time).",
    multiprocess_mode="max",
)
IN_THIS_PROCESS = (
    REQUESTS,
    REQUEST_SECONDS,
    TASK_SECONDS,
    EXPORTS,
    SIGN_IN_FAILURES,
    TABLET_SAVES,
    CONFLICTS,
    REPLAYS,
    BACKUPS,
    LAST_BACKUP,
)


class QueueDepth(Collector):
    """Tasks waiting in the export queue, read from the queue when scraped (every process sees
    the same queue, so it is not a per-process value to add up)."""

    def __init__(self, pending: Callable[[], int]):
        self.pending = pending

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily("heat_queue_depth", "Tasks waiting in the export queue (-1: unreachable).")
        depth.add_metric([], float(self.pending()))
        yield depth


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


def exposition(queue_depth: QueueDepth) -> tuple[bytes, str]:
    """The metrics page: every process's values (multiprocess mode) or this one's, and the queue."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in IN_THIS_PROCESS:
            registry.register(collector)
    registry.register(queue_depth)
    return generate_latest(registry), CONTENT_TYPE_LATEST


def worker_exited(pid: int) -> None:
    """gunicorn's child_exit hook: a dead worker's live gauges stop counting."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)
