# Gongjian. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.DEFAULT_GOAL := help

.PHONY: help run test lint format bench translations extract-messages system-deps clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

translations: $(VENV)/.runtime ## Compile the message catalogs (done by run and test)
	$(BIN)/pybabel compile --use-fuzzy -d translations -D messages >/dev/null

extract-messages: $(VENV)/.runtime ## Refresh translations/*.po from the code and templates
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _l -k pgettext:1c,2 -k npgettext:1c,2,3 -k pgettext_l:1c,2 -o translations/messages.pot . >/dev/null
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i translations/messages.pot -d translations -D messages

run: $(VENV)/.runtime translations ## Set up and serve on http://127.0.0.1:$(PORT) with the scheduler (SQLite in instance/)
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load
	@echo "Serving on http://127.0.0.1:$(PORT)"
	$(BIN)/flask scheduler serve --host 127.0.0.1 --port $(PORT)

system-deps: ## Install the Debian packages the tests need, where missing
	@scripts/system-deps.sh

test: $(VENV)/.dev translations system-deps ## Run the whole suite (TEST_DATABASE_URL selects the database)
	$(BIN)/python -m pytest -q

lint: $(VENV)/.dev ## ruff check, format check and the import contract (ARCHITECTURE.md)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.dev ## Format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.dev translations ## Measure speed against a real server (figures in bench/results/)
	@scripts/system-deps.sh || echo "(some system packages are missing: the scenarios that need them are skipped)"
	$(BIN)/python -m bench.run

clean: ## Remove the virtual environment and caches (keeps instance/ data)
	rm -rf $(VENV) .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
