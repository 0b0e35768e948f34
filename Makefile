# make run   : set up .venv, migrate, serve http://localhost:$(PORT) on SQLite
# make test  : set up .venv, lint, run the whole suite (SQLite, then PostgreSQL)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 3000
# The PostgreSQL the suite uses (pytest-django creates and drops its own test_* database).
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run serve bench test lint format test-sqlite test-postgres test-mongodb chaos setup migrate seed screenshots clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed

migrate: setup
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py runserver 0.0.0.0:$(PORT)

# The production server: granian (APP_SERVER=gunicorn for gunicorn), several workers
# (WEB_CONCURRENCY) of WEB_THREADS threads, DEBUG off.
serve: migrate
	$(PY) manage.py collectstatic --noinput --verbosity 0
	PORT=$(PORT) $(PY) -m paytm_site.serve

# Load test on PostgreSQL next to pgbench; prints a report (never fails on a number).
bench: setup
	$(PY) bench/run.py

seed: migrate
	$(PY) manage.py seed_demo

test: setup
	$(MAKE) lint
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

# ruff, configured in pyproject.toml: lint rules, then the formatting (`make format` applies
# it); then import-linter's contracts on the direction of dependencies (docs/ARCHITECTURE.md).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# In-process tests on SQLite, plus the live-server tests (races on PostgreSQL and SQLite,
# browser, schemathesis, attacks).
test-sqlite: setup
	$(PY) -m pytest -m "not chaos"

# The in-process tests again, on PostgreSQL.
test-postgres: setup
	DATABASE_URL=$(TEST_POSTGRES_URL) $(PY) -m pytest -m "not live_server and not chaos"

# With MONGODB_URI naming a replica set: the live contract and race tests on MongoDB.
# (They also run inside `make test` whenever MONGODB_URI is set.)
test-mongodb: setup
	@if [ -z "$$MONGODB_URI" ]; then echo "MONGODB_URI is not set: see README, 'MongoDB'"; exit 2; fi
	$(PY) -m pytest tests/live/test_contract.py tests/live/test_races.py -k mongodb -rs

# The long fault tests: kill -9 mid-storm, database stopped mid-storm (docs/RELIABILITY.md).
chaos: setup
	$(PY) -m pytest -m chaos

# Re-take docs/screenshots/*.png from the browser tests (needs Debian's chromium).
screenshots: setup
	SCREENSHOT_DIR=docs/screenshots $(PY) -m pytest tests/live/test_web_pages.py tests/live/test_web_journeys.py tests/live/test_console_pages.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis staticfiles
