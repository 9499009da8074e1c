# Two commands for everyone:  make run  (start the assistant)  and  make test  (all checks).
# Both install what is missing: the bot's venv here in .venv, Rasa's venv and the trained
# model in ~/.cache/gk-assistant (keyed by lock file and training data, reused across clones).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BOT_PY := $(VENV)/bin/python
# pip warns about unreachable extra indexes on some machines; hide only those lines.
PIP_QUIET := { grep -v "^WARNING: Location" || true; }

.PHONY: help run chat test lint typecheck unit e2e setup content-check clean chromium bench bench-dashboard bench-retrain

help:
	@echo "make run    start the assistant and the caseworker dashboard (Telegram with TELEGRAM_BOT_TOKEN in .env, else a terminal chat)"
	@echo "make test   run every check: content, lint, types, unit, browser and end-to-end tests (SQLite and PostgreSQL)"
	@echo "make bench  whole stack against a fake Telegram: latency at 1-30 msg/s, 10 min sustained, RSS, training (~30 min; BENCH_ARGS=--quick for a try)"
	@echo "make bench-dashboard   queue page render time with 10,000 cases"
	@echo "make bench-retrain     an editor teaches a new question: seconds until a user asking it is answered"

$(VENV)/.installed: requirements/bot.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is needed for the bot (found %s)" % sys.version.split()[0])'
	@echo "==> installing the bot's Python packages into $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BOT_PY) -m pip install --quiet --disable-pip-version-check -r requirements/bot.lock 2>&1 | $(PIP_QUIET)
	$(BOT_PY) -m pip install --quiet --disable-pip-version-check --no-deps -e . 2>&1 | $(PIP_QUIET)
	@touch $@

setup: $(VENV)/.installed
	@echo "==> Rasa: venv and trained model (cached; trains only when the training data changed)"
	$(BOT_PY) -m bot setup

# Debian's chromium drives the dashboard's browser tests (Playwright, no browser download).
# Installed as root, or with sudo; `apt-get update` only when the plain install fails.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "==> installing Debian's chromium for the dashboard's browser tests"; \
	  $(SUDO) apt-get install -y -qq chromium >/dev/null 2>&1 \
	    || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; } \
	    || echo "WARNING: could not install chromium; the browser tests will fail"; \
	fi

run: setup
	$(BOT_PY) -m bot run

chat: setup
	$(BOT_PY) -m bot chat

content-check: $(VENV)/.installed
	$(BOT_PY) -m bot content check

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check bot tests rasa_components bench
	$(VENV)/bin/ruff format --check bot tests rasa_components bench

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

test: setup chromium content-check lint typecheck
	@echo "==> tests (unit, end-to-end with a real Rasa server, NLU evaluation)"
	$(VENV)/bin/pytest

# BENCH_ARGS: e.g. --quick (a few minutes), --database-url URL (an empty PostgreSQL database)
BENCH_ARGS ?= --train
bench: setup
	$(BOT_PY) -m bench.end_to_end $(BENCH_ARGS)

bench-dashboard: $(VENV)/.installed
	$(BOT_PY) bench/queue_page.py

bench-retrain: setup
	$(BOT_PY) -m bench.retrain

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .rasa
