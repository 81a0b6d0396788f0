# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench messages

$(STAMP): requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.lock
	touch $(STAMP)

# Compiled translations are built with Babel, so no GNU gettext is needed.
messages: $(STAMP)
	$(VENV)/bin/pybabel compile --domain django --directory locale --statistics

setup: $(STAMP) messages
	@mkdir -p var

run: export DEBUG ?= true
run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@trap 'kill 0' EXIT INT TERM; \
	$(PY) manage.py qcluster & \
	$(PY) manage.py runserver 127.0.0.1:8000

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: setup lint
	$(PY) -m pytest
	$(PY) tests/with_postgres.py $(PY) -m pytest -p no:cacheprovider

bench: setup
	$(PY) benchmarks/run.py
