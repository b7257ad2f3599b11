# UrbanHarvest: `make run` serves the site on the local stack, `make test` runs every test.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
TEST_ENV := DJANGO_SETTINGS_MODULE=urbanharvest.settings.test

.PHONY: help venv run stop status test lint fmt compose-smoke

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP):
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP) ## create the virtualenv with the pinned requirements

run: $(STAMP) ## start the local stack, the site on http://127.0.0.1:8000 and the workers (Ctrl-C stops all)
	$(PY) -m devstack run

stop: ## stop everything `make run` started
	$(PY) -m devstack stop

status: $(STAMP) ## what runs where, for the dev stack
	$(PY) -m devstack status

test: $(STAMP) lint ## lint, migration check and the whole test suite against a fresh test stack
	$(PY) -m devstack up --profile test --fresh
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS); status=$$?; $(PY) -m devstack down --profile test; exit $$status

lint: $(STAMP) ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: $(STAMP) ## apply ruff's formatting and safe fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

compose-smoke: $(STAMP) ## on a machine with Docker: docker compose up, storefront, an order, its email, down
	$(PY) scripts/compose_smoke.py
