# HEAT: `make run` serves the app with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
WORKERS ?= 3
export FLASK_APP := app:create_app

.PHONY: run test install assets migrate bench clean

run: install assets migrate
	$(BIN)/flask seed-demo --if-empty
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers $(WORKERS) --access-logfile - "app:create_app()"

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

assets: static/dist/.built

static/dist/.built: package.json package-lock.json assets/heat.scss assets/build.mjs
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build
	touch $@

migrate: install
	mkdir -p instance
	$(BIN)/flask db upgrade

# The suite runs on SQLite, then again on PostgreSQL when TEST_DATABASE_URL names one.
test: install assets
	$(BIN)/python -m pytest -q
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL =="; \
		HEAT_TEST_ON_POSTGRES=1 $(BIN)/python -m pytest -q; \
	fi

clean:
	rm -rf $(VENV) node_modules static/dist
