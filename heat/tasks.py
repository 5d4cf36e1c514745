"""Background jobs on Huey. SQLite storage (instance/huey.db) is the embedded default; set
HEAT_HUEY_REDIS_URL to share one queue between machines. Run workers with:
    .venv/bin/huey_consumer heat.tasks.huey --workers 2
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import current_app, has_app_context
from huey import RedisHuey, SqliteHuey

_instance = Path(__file__).resolve().parents[1] / "instance"

if os.environ.get("HEAT_HUEY_REDIS_URL"):
    huey = RedisHuey("heat", url=os.environ["HEAT_HUEY_REDIS_URL"])
else:
    _instance.mkdir(exist_ok=True)
    huey = SqliteHuey("heat", filename=os.environ.get("HEAT_HUEY_SQLITE", str(_instance / "huey.db")))

_worker_app = None


def _app():
    """The app of the process running the task: the web app in immediate mode, else one per worker."""
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    return _worker_app


@huey.task()
def build_export(export_id: int) -> None:
    from heat.services import exports

    with _app().app_context():
        exports.build(export_id)
