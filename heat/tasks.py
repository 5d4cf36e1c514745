"""Background jobs on Huey: exports, the PDF of each kept version, and emails to staff. The queue object lives in
`heat.extensions`; `configure` (called by create_app) points it at the storage named by the
HEAT_HUEY setting and remembers the app that tasks run in. Workers start from `worker.py`:
`.venv/bin/huey_consumer worker.huey --workers 2`.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import redis
import redis.exceptions
from flask import Flask, current_app, has_app_context
from huey import crontab, signals
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from heat import database, monitoring
from heat.extensions import db, huey
from heat.files import private_file, private_folder
from heat.models import utcnow
from heat.services import audit, backup, exports, notifications, versions

_apps: list[Flask] = []
log = logging.getLogger("heat")

# The queue cannot be reached (Redis down) or its SQLite file cannot be opened or written.
QUEUE_UNAVAILABLE: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    sqlite3.OperationalError,
)


def configure(app: Flask) -> None:
    """HEAT_HUEY is "immediate" (tasks run at once, in the process that queues them: tests),
    a redis:// URL (one queue shared by several machines) or a path to a SQLite file."""
    setting = app.config["HEAT_HUEY"]
    huey.immediate = setting == "immediate"
    if setting == "immediate":
        huey.storage_class, huey.storage_kwargs = MemoryStorage, {}
    elif setting.startswith(("redis://", "rediss://", "unix://")):
        # A Redis host that stops answering (not even refusing) fails a page or /readyz in
        # seconds, not after the system's TCP timeout of minutes.
        pool = redis.ConnectionPool.from_url(setting, socket_connect_timeout=5)
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"connection_pool": pool}
    else:
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": setting}
    try:
        if huey.storage_class is SqliteStorage:
            private_folder(Path(setting).parent)
        huey.storage = huey.create_storage()
        if huey.storage_class is SqliteStorage:
            private_file(Path(setting))
    except (OSError, sqlite3.Error) as error:
        # Said plainly, and the web server still starts: exports say the queue is not available
        # until the file can be written. Its tables are made when HEAT next starts.
        log.error("HEAT cannot use its export queue %s (%s): exports cannot start until it can.", setting, error)
        huey.storage = huey.get_storage(**huey.storage_kwargs, create_tables=False)
    _apps[:] = [app]


@huey.signal(signals.SIGNAL_EXECUTING)
def _task_started(signal: str, task) -> None:
    monitoring.task_started(task.name, task.id)


@huey.signal(signals.SIGNAL_COMPLETE, signals.SIGNAL_ERROR)
def _task_ended(signal: str, task, exc: BaseException | None = None) -> None:
    monitoring.task_ended(task.name, task.id, "done" if signal == signals.SIGNAL_COMPLETE else "failed")


def _app() -> Flask:
    """The web app's own context in immediate mode; otherwise the app the worker created."""
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    return _apps[0]


@huey.task()
def build_export(export_id: int) -> None:
    with _app().app_context():
        exports.build(export_id)


def start_export(export_id: int) -> bool:
    """Queue an export's build. When the queue cannot be reached the export is marked failed at
    once (its page offers "Try again"), never left waiting to start, and the answer is False."""
    try:
        build_export(export_id)
    except QUEUE_UNAVAILABLE as error:
        log.error("Export %s could not be queued: %s", export_id, database.reason(error))
        exports.not_queued(export_id)
        return False
    return True


def requeue_stalled() -> list[int]:
    """Queue again every export silent past the deadline (`flask exports requeue` runs it too)."""
    stalled = exports.requeue_stalled()
    for export_id in stalled:
        start_export(export_id)
    return stalled


@huey.task()
def render_pdf(version_id: int) -> None:
    with _app().app_context():
        versions.render(version_id)


def render_pdfs(assessment_ids: list[int] | None = None) -> None:
    """After the caller's commit: queue the renders of the versions (of these assessments, or of
    any) waiting for their PDF. When the queue cannot be reached they stay waiting in the
    database, the download says "The PDF is being prepared", and the periodic task queues them
    again after the deadline. A version queued twice (a decision made while the submission's
    render still waits) is rendered once: the second task finds it claimed or done."""
    waiting = versions.waiting(assessment_ids)
    db.session.commit()  # end that read: a request's transaction on SQLite holds the write lock
    _queue_renders(waiting)


def _queue_renders(version_ids: list[int]) -> None:
    for version_id in version_ids:
        try:
            render_pdf(version_id)
        except QUEUE_UNAVAILABLE as error:
            log.error("PDF of version %s could not be queued: %s", version_id, database.reason(error))
            return


def requeue_stalled_pdfs() -> list[int]:
    """Queue again every PDF render never started or left running past the deadline."""
    stalled = versions.requeue_stalled()
    _queue_renders(stalled)
    return stalled


# A failed email is tried again 5 times, 2 minutes apart; after that the task is recorded as
# failed (the monitoring counts it, the log names it), and a Red still waiting is in the
# supervisors' daily summary.
EMAIL_RETRIES = 5
EMAIL_RETRY_SECONDS = 120


@huey.task(retries=EMAIL_RETRIES, retry_delay=EMAIL_RETRY_SECONDS)
def send_event_emails(event: str, assessment_id: int) -> None:
    with _app().app_context():
        notifications.send_event(event, assessment_id)


def notify(event: str, assessment_id: int) -> None:
    """After the caller's commit: queue the emails about an event (notifications.EVENTS), when
    email is set up. A queue that cannot be reached is logged, never a failed page."""
    if not notifications.enabled():
        return
    try:
        send_event_emails(event, assessment_id)
    except QUEUE_UNAVAILABLE as error:
        log.error("Emails about assessment %s (%s) not queued: %s", assessment_id, event, database.reason(error))


@huey.periodic_task(crontab())
def send_daily_summaries() -> None:
    """Every minute: the day's summaries once HEAT_DAILY_SUMMARY_AT has passed, by one worker at a time."""
    with _app().app_context(), huey.lock_task("daily-summaries"):
        notifications.send_daily_summaries(utcnow())


@huey.periodic_task(crontab(minute="*/5"))
def requeue_stalled_exports() -> None:
    """Exports, and PDF renders, lost or left running past HEAT_EXPORT_STALL_MINUTES."""
    with _app().app_context():
        requeue_stalled()
        requeue_stalled_pdfs()


@huey.periodic_task(crontab(minute="*"))
def seal_audit_trail() -> None:
    """The audit trail's one sealer: chains the rows committed since the last run (services/audit.py)."""
    with _app().app_context():
        audit.seal()


@huey.periodic_task(crontab(minute="*/15"))
def expire_exports() -> None:
    """Export ZIPs are kept HEAT_EXPORT_RETENTION_DAYS, then deleted."""
    with _app().app_context():
        exports.expire()


@huey.periodic_task(crontab())
def scheduled_backup() -> None:
    """Every minute: the day's backup once it is due (HEAT_BACKUP_DIR, HEAT_BACKUP_AT), by one
    worker at a time (the lock is in the queue, so shared by every machine on one Redis)."""
    with _app().app_context(), huey.lock_task("scheduled-backup"):
        backup.take_scheduled()
