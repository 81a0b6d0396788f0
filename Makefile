# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: setup setup-dev run test lint bench messages

# What a server installs: requirements.lock, the runtime only.
$(STAMP): requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.lock
	touch $(STAMP)

# Tests, lint and benchmarks add requirements-dev.lock (pytest, playwright, ruff ...).
$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(VENV)/bin/pip install --quiet -r requirements-dev.lock
	touch $(DEV_STAMP)

# Compiled translations are built with Babel, so no GNU gettext is needed.
messages: $(STAMP)
	$(VENV)/bin/pybabel compile --domain django --directory locale --statistics

setup: $(STAMP) messages
	@mkdir -p var

setup-dev: setup $(DEV_STAMP)

run: export DEBUG ?= true
run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@trap 'kill 0' EXIT INT TERM; \
	$(PY) manage.py qcluster & \
	$(PY) manage.py runserver 127.0.0.1:8000

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Every test on SQLite, and beside it, in a second process, the database
# tests on a throwaway PostgreSQL: the two share no database, and side by
# side they keep `make test` short on two cores. Browser tests run once,
# most on SQLite; those marked postgresql_run, and the tests that start
# their own cluster, run in the PostgreSQL process instead, so the two
# processes take about as long. Tests that touch no database (catalogues,
# import direction) run on SQLite only. PostgreSQL's output is printed when
# both are done.
PG_SKIPS := --ignore=tests/test_translations.py --ignore=tests/test_public_catalogues.py \
	--ignore=tests/test_import_direction.py
test: setup-dev lint
	@$(PY) tests/with_postgres.py $(PY) -m pytest -p no:cacheprovider -m "not browser or postgresql_run" \
		$(PG_SKIPS) > var/test-postgresql.log 2>&1 & postgres=$$!; \
	$(PY) -m pytest -m "not own_cluster and not postgresql_run"; sqlite=$$?; \
	wait $$postgres; postgresql=$$?; \
	echo "=== The same tests on PostgreSQL (tests/with_postgres.py) ==="; cat var/test-postgresql.log; \
	echo "SQLite: exit $$sqlite, PostgreSQL: exit $$postgresql"; \
	test $$sqlite -eq 0 -a $$postgresql -eq 0

bench: setup-dev
	$(PY) benchmarks/run.py
	$(PY) -m benchmarks.week_render
	$(PY) -m benchmarks.week_render --postgresql
	$(PY) -m benchmarks.bookings
	$(PY) -m benchmarks.region
