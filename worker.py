"""The worker's entry module (exports, and the PDF of each assessment version):
`.venv/bin/huey_consumer worker.huey --workers 2`. It builds the app (and with it the queue's
configuration) the same way the web server does."""

from app import create_app
from heat.extensions import huey

app = create_app()

__all__ = ["app", "huey"]
