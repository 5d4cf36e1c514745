"""gunicorn's settings for HEAT: read by `make run`, the README's production command and every
gunicorn started in this folder (the tests and benchmarks too). Override the worker count with
WEB_CONCURRENCY and the threads with HEAT_WEB_THREADS; the reasoning is in the README.

Threaded workers (gthread), one process per core, four threads each:
- A page is mostly Python (rendering, scoring, compression) holding the GIL, so more processes
  than cores buys nothing, and each costs about 150 MB. On a 2-core machine: 2 processes, while
  the export worker (make run starts it beside the server) takes its turns on the same cores.
- Threads carry the waits: the database (SQLite's busy timeout, PostgreSQL's round trips), the
  export queue, and long downloads (the audit trail's CSV streams for as long as it takes). A
  thread waiting lets another request run, so 2 x 4 = 8 requests are served at once.
- With threads, `timeout` is how long a worker process may stop answering gunicorn before it is
  replaced (stuck, not slow): it never cuts off a long download, as it would with sync workers,
  where it is the longest any one request may take.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 2)
worker_class = "gthread"
threads = int(os.environ.get("HEAT_WEB_THREADS") or 4)
timeout = 30
graceful_timeout = 30  # a restart lets requests under way finish for this long
keepalive = 5
# The access log names each request by the id its error page shows (X-Request-Id, heat/security.py).
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(B)s %(M)sms request=%({x-request-id}o)s'

if os.environ.get("HEAT_LOG_FORMAT", "").strip().lower() == "json":
    # gunicorn's own lines (workers booting, timing out) as JSON objects too, on standard error,
    # like the app's (heat/monitoring.py). The app writes one line per request itself, with the
    # route's name instead of the URL: gunicorn's access log (which names the URL) is not written.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "heat.monitoring.json_formatter"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
            "nowhere": {"class": "logging.NullHandler"},
        },
        "root": {"level": "WARNING", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"handlers": ["nowhere"], "propagate": False},
        },
    }


def child_exit(server, worker):
    """Metrics in multiprocess mode (PROMETHEUS_MULTIPROC_DIR, see heat/metrics.py): a worker that
    exits stops counting in the live gauges."""
    from heat.metrics import worker_exited

    worker_exited(worker.pid)
