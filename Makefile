# Every target bootstraps .venv itself (standard library venv + pip), so a fresh clone needs only Python 3.10+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint types unit demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## make test: lint, types, then the whole suite (unit, emulator, integration over loopback HTTP, DAG runs)
test: lint types
	$(BIN)/python -m pytest -q -p no:cacheprovider

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
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache
