# Every target bootstraps .venv itself (standard library venv + pip), so a fresh clone needs only Python 3.10+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test test-airflow2 lint types demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## make test: lint, types, then the whole suite (unit, emulator, integration over loopback HTTP, DAG runs)
test: lint types
	$(BIN)/python -m pytest -q -p no:cacheprovider

## make test-airflow2: the same suite on Airflow 2.11, the oldest release the provider supports
VENV2 := .venv-airflow2
STAMP2 := $(VENV2)/.installed

$(STAMP2): pyproject.toml
	test -x $(VENV2)/bin/python || $(PYTHON) -m venv $(VENV2)
	$(VENV2)/bin/python -m pip install --quiet --upgrade pip
	$(VENV2)/bin/python -m pip install --quiet "apache-airflow==2.11.*" -e ".[dev]"
	touch $(STAMP2)

test-airflow2: $(STAMP2)
	$(VENV2)/bin/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

## make demo: start the emulator with seeded records, run the example DAGs against it, show what was deleted
demo: $(STAMP)
	$(BIN)/python scripts/demo.py

## make bench: benchmarks, each printing a ratio against a baseline measured in the same run
bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(VENV2) .demo .pytest_cache .mypy_cache .ruff_cache
