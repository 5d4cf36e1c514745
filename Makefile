# HEAT: `make run` serves the app with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := app:create_app

.PHONY: run test test-fast lint install install-dev assets migrate bench clean chromium redis

# The export worker (Huey) runs beside the web server and stops with it. gunicorn.conf.py sizes the
# web server for the machine (a process per core, 4 threads each; WEB_CONCURRENCY overrides).
run: install assets migrate
	$(BIN)/flask seed-demo --if-empty
	$(BIN)/huey_consumer worker.huey --workers 2 --quiet & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --no-control-socket --access-logfile - "app:create_app()"

install: $(VENV)/installed-requirements.txt
install-dev: $(VENV)/installed-requirements-dev.txt

# A copy of what was installed: a changed requirements file (or a missing venv) installs again.
# Both files are compiled with hashes from requirements.in and requirements-dev.in (see README).
$(VENV)/installed-%.txt: %.txt
	test -x $(BIN)/python || $(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r $<
	cp $< $@

assets: static/dist/manifest.json

# npm's own record of what it installed: a changed lock file installs again.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

static/dist/manifest.json: node_modules/.package-lock.json $(wildcard assets/* assets/sw/*)
	npm run --silent build

# `flask practice counts` fills what 0024_practice_counts added for visits recorded before it
# (worked out by the checklist's rules, which a migration may not import); it is quick when done.
migrate: install
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask practice counts

# Browser tests drive Debian's Chromium (never a downloaded browser build).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else echo "The browser tests need Chromium: sudo apt-get install -y chromium" >&2; exit 1; fi; }

# The multi-machine test starts Debian's redis-server (two app instances share one Redis queue).
redis:
	@command -v redis-server >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; \
		else echo "The multi-machine test needs Redis: sudo apt-get install -y redis-server" >&2; exit 1; fi; }

# The suite runs on SQLite, then again on PostgreSQL when TEST_DATABASE_URL names one.
# The gate: ruff (lint and format) and mypy, configured in pyproject.toml; ESLint for the front
# end (eslint.config.mjs) and djLint for the templates (pyproject.toml).
lint: install-dev node_modules/.package-lock.json
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	npx --no-install eslint .
	$(BIN)/djlint templates --lint

# Tests run in parallel (pytest-xdist, one worker per core): each worker has its own database
# (SQLite file, or <TEST_DATABASE_URL's database>_gw0, _gw1...), its own live servers and temp
# folders. TEST_WORKERS=0 runs them in one process. The 15 slowest tests are listed each pass.
# The PostgreSQL pass leaves out the tests that ask for no database (marked `no_database` by
# tests/conftest.py: the checklist's scoring, charts, start-up checks...), which the SQLite pass ran,
# and the browser tests, which the SQLite pass ran: they drive the tablet and the pages through the
# same routes the PostgreSQL pass tests without a browser (README, "Tests").
TEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --durations=15

# `npm test` (Vitest: the service worker's modules, assets/test/) runs first: it takes seconds.
test: lint assets chromium redis
	npm test
	$(PYTEST)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL =="; \
		HEAT_TEST_ON_POSTGRES=1 $(PYTEST) -m "not no_database and not browser"; \
	fi

# The quick tier for a change in progress: no browser, no built front end (no npm), SQLite only.
# `make test` remains the gate.
test-fast: install-dev
	$(PYTEST) -m "not browser and not assets"

clean:
	rm -rf $(VENV) node_modules static/dist

bench: install-dev assets
	$(BIN)/python bench/page_weight.py
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/saves.py
	$(BIN)/python bench/submit.py
	$(BIN)/python bench/slow_visit.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/practice_quality.py
