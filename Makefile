# chitieu — `make run` and `make test` work from a fresh clone with Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: setup run test test-fast lint sqlfluff demo clean

setup: $(INSTALLED)

$(INSTALLED): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(INSTALLED)

## Run the nightly pipeline once on the demo submissions in data/raw/.
run: $(INSTALLED)
	$(BIN)/chitieu run

## Formatting, lint, then every test (including real nights on generated data): what CI runs.
test: lint sqlfluff
	$(BIN)/pytest

## The loop while working: lint, then every test not marked slow (none runs a real night).
test-fast: lint sqlfluff
	$(BIN)/pytest -m "not slow"

## Lint the dbt SQL (dbt templater, duckdb dialect).
sqlfluff: $(INSTALLED)
	CHITIEU_WAREHOUSE=$(CURDIR)/data/warehouse/sqlfluff.duckdb \
		$(BIN)/sqlfluff lint --processes 2 dbt_project/models

lint: $(INSTALLED)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

## Regenerate the committed demo submissions in data/raw/.
demo: $(INSTALLED)
	rm -rf data/raw && $(BIN)/python -m tools.demo --out data/raw

clean:
	rm -rf dbt_project/target dbt_project/logs data/warehouse/*.duckdb* .pytest_cache
