# trustqa front door. `make run` then `make test` from a fresh clone (Python 3.11 and make).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.installed-dev-stamp
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project -path dbt_project/target -prune -o -type f \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' \) -print)

.PHONY: run test ui docs parse lint browser clean bench

## run: set up, load the bundled sample (seeds/) and build every asset into warehouse/trustqa.duckdb
run: $(STAMP) $(MANIFEST)
	$(BIN)/trustqa materialize --exports seeds --warehouse warehouse/trustqa.duckdb

## test: install the dev tools (requirements-dev.lock), set up the browser, lint, then the whole test suite
test: $(DEV_STAMP) browser lint $(MANIFEST)
	$(BIN)/python -m pytest

## lint: ruff (lint and format) on the Python, sqlfluff on the dbt SQL; fails on any finding
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project

## browser: Debian's chromium for the UI tests (apt-get as root; otherwise those tests skip, saying why)
browser:
	@sh scripts/install_browser.sh

## ui: the Dagster UI on http://127.0.0.1:3000
ui: $(STAMP) $(MANIFEST)
	$(BIN)/trustqa ui

## docs: build the dbt docs site (models, columns, lineage) and the GX Data Docs, and print where they are
docs: $(STAMP) $(MANIFEST)
	$(BIN)/trustqa docs
	@if [ -n "$$DISPLAY$$BROWSER" ]; then $(BIN)/python -m webbrowser "file://$(abspath warehouse/dbt_docs/static_index.html)" >/dev/null 2>&1 || true; fi

## bench: scale benchmark (full build, nightly run, each layer) at SCALE (default 1; `make bench SCALE=10`); writes bench/results/scale-$(SCALE).md
## (BENCH_ARGS=--history-without-dagster skips the Dagster runs over the whole history, see bench/run.py)
SCALE ?= 1
BENCH_ARGS ?=
bench: $(STAMP) $(MANIFEST)
	$(BIN)/python bench/run.py --scale $(SCALE) $(BENCH_ARGS)

## parse: refresh the dbt manifest the Dagster assets are built from
parse: $(MANIFEST)

$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	$(BIN)/python -c "from dagster_project.dbt_project import prepare_manifest; prepare_manifest()"

# Reinstall only when the pinned locks or the package metadata changed. `make run` needs only the runtime lock.
$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	touch $(DEV_STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 needed, found {sys.version.split()[0]}: set PYTHON=/path/to/python3.11"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

clean:
	rm -rf warehouse dbt_project/target dbt_project/logs .dagster_home
