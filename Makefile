# One command to set up and run, one to set up and test. Needs python3 (3.11+) and make.
# Every install comes from uv.lock (hashed pins for every package); uv itself is pinned by
# hash in requirements/uv.txt and installed into its own small venv, .tools/.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TOOLS := .tools
UV := $(TOOLS)/bin/uv
# uv never downloads a Python of its own; it uses $(PYTHON) and installs into $(VENV).
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: setup run demo test lint typecheck unit e2e catalogs clean lock lock-check

$(UV): requirements/uv.txt
	rm -rf $(TOOLS)
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
		-r requirements/uv.txt
	@touch $@

$(BIN)/ppa-bot: pyproject.toml uv.lock | $(UV)
	$(UV) sync --quiet --locked --extra dev --python $(PYTHON)
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

## Fails if uv.lock no longer matches pyproject.toml (run `make lock`).
lock-check: | $(UV)
	$(UV) lock --check --python $(PYTHON)

## Refresh the lock deliberately: newest releases within pyproject.toml's ranges.
lock: | $(UV)
	$(UV) lock --upgrade --python $(PYTHON)

## Set up and run every check CI runs: the whole suite on SQLite, then the whole non-e2e
## suite again on PostgreSQL (a throwaway server; every test database is a PostgreSQL one;
## the sqlite_only tests are deselected; see tests/stores.py), then the failover test (two
## instances on one PostgreSQL database; PPA_FAILOVER_ROUNDS, default 3).
test: lock-check setup lint typecheck
	$(BIN)/pytest -q
	scripts/ensure-postgresql.sh
	PPA_TEST_STORE=postgresql PPA_TEST_POSTGRESQL=1 $(BIN)/pytest -q -p no:cacheprovider \
		-m "not e2e and not sqlite_only"
	PPA_TEST_POSTGRESQL=1 $(BIN)/pytest -q -p no:cacheprovider tests/e2e/test_failover.py

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
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) $(TOOLS) .mypy_cache .ruff_cache .pytest_cache
