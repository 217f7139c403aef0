# One command to set up and run, one to set up and test. Needs python3 (3.11+).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup run demo test lint typecheck unit e2e catalogs clean

$(BIN)/ppa-bot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

setup: $(BIN)/ppa-bot

.env: | setup
	$(BIN)/ppa-bot init

## Set up (venv, dependencies, .env with a key, database) and run the bot.
run: setup .env
	$(BIN)/ppa-bot migrate
	$(BIN)/ppa-bot run

## The offline demo: a complaint through the real bot and a fake Telegram.
demo: setup
	$(BIN)/ppa-bot demo

## Set up and run every check CI runs.
test: setup lint typecheck
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check bot tests
	$(BIN)/ruff format --check bot tests

typecheck: setup
	$(BIN)/mypy

e2e: setup
	$(BIN)/pytest -q tests/e2e

## Re-extract messages and update the id/en catalogs after changing user-facing text.
catalogs: setup
	$(BIN)/pybabel extract -F babel.cfg -k gettext -k N_ -k ngettext:1,2 --no-location \
		--sort-output --project ppa-bot -o locales/messages.pot .
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
