"""Background jobs on Huey. The queue object lives in `heat.extensions`; `configure` (called by
create_app) points it at the storage named by the HEAT_HUEY setting and remembers the app that
tasks run in. Workers start from `worker.py`: `.venv/bin/huey_consumer worker.huey --workers 2`.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import crontab
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from heat.extensions import huey
from heat.files import private_file, private_folder
from heat.services import exports

_apps: list[Flask] = []


def configure(app: Flask) -> None:
    """HEAT_HUEY is "immediate" (tasks run at once, in the process that queues them: tests),
    a redis:// URL (one queue shared by several machines) or a path to a SQLite file."""
    setting = app.config["HEAT_HUEY"]
    huey.immediate = setting == "immediate"
    if setting == "immediate":
        huey.storage_class, huey.storage_kwargs = MemoryStorage, {}
    elif setting.startswith(("redis://", "rediss://", "unix://")):
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"url": setting}
    else:
        private_folder(Path(setting).parent)
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": setting}
    huey.storage = huey.create_storage()
    if huey.storage_class is SqliteStorage:
        private_file(Path(setting))
    _apps[:] = [app]


def _app() -> Flask:
    """The web app's own context in immediate mode; otherwise the app the worker created."""
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    return _apps[0]


@huey.task()
def build_export(export_id: int) -> None:
    with _app().app_context():
        exports.build(export_id)


@huey.periodic_task(crontab(minute="*/15"))
def expire_exports() -> None:
    """Export ZIPs are kept HEAT_EXPORT_RETENTION_DAYS, then deleted."""
    with _app().app_context():
        exports.expire()
