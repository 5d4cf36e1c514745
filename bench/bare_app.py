"""The yardstick for bench/throughput.py: a bare Flask route, served by the same gunicorn
settings as HEAT, so the ratio measures HEAT's own work, not the machine."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def bare() -> str:
    return "ok"
