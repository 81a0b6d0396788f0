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

test: setup-dev lint
	$(PY) -m pytest
	@# Browser tests and tests with their own cluster ran above; once is enough.
	$(PY) tests/with_postgres.py $(PY) -m pytest -p no:cacheprovider -m "not browser and not own_cluster"

bench: setup-dev
	$(PY) benchmarks/run.py
	$(PY) -m benchmarks.bookings
	$(PY) -m benchmarks.region
