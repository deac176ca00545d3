# Every target bootstraps .venv itself (standard library venv + pip), so a fresh clone needs only Python 3.10+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test test-airflow2 test-airflow-matrix test-minimums lint types demo bench bench-full test-deployment clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## make test: lint, types, then the whole suite (unit, emulator, integration over loopback HTTP, DAG runs)
test: lint types
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 3

## make test-airflow2: the same suite on Airflow 2.11, the oldest release the provider supports
VENV2 := .venv-airflow2
STAMP2 := $(VENV2)/.installed

$(STAMP2): pyproject.toml
	test -x $(VENV2)/bin/python || $(PYTHON) -m venv $(VENV2)
	$(VENV2)/bin/python -m pip install --quiet --upgrade pip
	$(VENV2)/bin/python -m pip install --quiet "apache-airflow==2.11.*" -e ".[dev]"
	touch $(STAMP2)

test-airflow2: $(STAMP2)
	$(VENV2)/bin/python -m pytest -q -p no:cacheprovider -n 3

## make test-airflow-matrix: a quick pass (provider, sensor and trigger tests, and the DAG runs) on Airflow 3.0, 3.1, 3.2
QUICK_TESTS := tests/unit tests/integration/test_sensor.py tests/integration/test_sensor_batching.py
MATRIX := 3.0 3.1 3.2
# Without Airflow's constraints files (not on PyPI), pip resolves releases newer than 3.0 and 3.2 were
# tested with, and dag.test()'s in-process execution API breaks. The caps below are the upper bounds that
# the next Airflow minor declares in its own metadata (3.1: fastapi<0.118, 3.3: fastapi<0.137):
# - 3.0: universal-pathlib 0.3 breaks ObjectStoragePath; FastAPI's strict JSON Content-Type check (new in
#   0.132) answers 422 to the PATCHes that 3.0's task SDK sends without a Content-Type.
# - 3.2: FastAPI 0.156.1+ fails on 3.2's discriminated TIStateUpdate body at import; svcs 26.2 (August 2026,
#   after 3.2.2) drops app.state.svcs_registry when the lifespan that 3.2's dag.test() abandons is collected.
PINS_3.0 := "universal-pathlib<0.3" "fastapi<0.118"
PINS_3.2 := "fastapi<0.137" "svcs<26.2"
TESTS_3.0 := $(QUICK_TESTS) tests/dags
TESTS_3.1 := $(QUICK_TESTS) tests/dags
TESTS_3.2 := $(QUICK_TESTS) tests/dags

.venv-airflow%/.installed: pyproject.toml
	test -x .venv-airflow$*/bin/python || $(PYTHON) -m venv .venv-airflow$*
	.venv-airflow$*/bin/python -m pip install --quiet --upgrade pip
	.venv-airflow$*/bin/python -m pip install --quiet "apache-airflow==$*.*" -e ".[dev]" $(PINS_$*)
	touch $@

test-airflow-matrix: $(foreach v,$(MATRIX),.venv-airflow$(v)/.installed)
	$(foreach v,$(MATRIX),echo "== Airflow $(v)" && .venv-airflow$(v)/bin/python -m pytest -q -p no:cacheprovider $(TESTS_$(v)) &&) true

## make test-minimums: the unit and integration tests with every runtime dependency at its declared minimum
## (pyproject.toml's ">=X" read as "==X.*"; apache-airflow at 2.11), so the lower bounds stay true
VENVMIN := .venv-minimums
MINIMUMS = $(shell $(PYTHON) -c 'import re, tomllib; deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]; print(" ".join(chr(34) + re.sub(r">=\s*", "==", d.split(";")[0].split("#")[0].strip()) + ".*" + chr(34) for d in deps))')

$(VENVMIN)/.installed: pyproject.toml
	test -x $(VENVMIN)/bin/python || $(PYTHON) -m venv $(VENVMIN)
	$(VENVMIN)/bin/python -m pip install --quiet --upgrade pip
	$(VENVMIN)/bin/python -m pip install --quiet $(MINIMUMS) -e ".[dev]"
	touch $@

test-minimums: $(VENVMIN)/.installed
	$(VENVMIN)/bin/python -m pip list 2>/dev/null | grep -iE "^(apache-airflow|requests|urllib3|httpx|pendulum|apache-airflow-providers-common-compat) "
	$(VENVMIN)/bin/python -m pytest -q -p no:cacheprovider -n 3 tests/unit tests/integration

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

## make demo: start the emulator with seeded records, run the example DAGs against it, show what was deleted
demo: $(STAMP)
	$(BIN)/python scripts/demo.py

## make bench: the benchmarks' headline rows (under 5 minutes on 2 cores), each printing a ratio against a
## baseline measured in the same run
bench: $(STAMP)
	$(BIN)/python -m bench

## make bench-full: the benchmarks' complete tables (every model, size and trial: about half an hour)
bench-full: $(STAMP)
	$(BIN)/python -m bench --full

## make test-deployment: a real multi-worker Airflow 3.3 (CeleryExecutor, two workers, a scheduler, a
## dag-processor, a triggerer, the api-server; PostgreSQL, Redis, S3 on loopback; the emulator as Attio) with the
## provider's wheel, driven through the REST API through six scenarios, then stopped: about 6 minutes on 2 cores
## once .venv-deploy is built. Installs Debian's postgresql and redis-server with apt-get if missing (as root).
VENVDEPLOY := .venv-deploy

$(VENVDEPLOY)/.installed: deploy/requirements.txt
	test -x $(VENVDEPLOY)/bin/python || $(PYTHON) -m venv $(VENVDEPLOY)
	$(VENVDEPLOY)/bin/python -m pip install --quiet --upgrade pip
	$(VENVDEPLOY)/bin/python -m pip install --quiet -r deploy/requirements.txt
	touch $@

test-deployment: $(VENVDEPLOY)/.installed
	$(VENVDEPLOY)/bin/python -m deploy

clean:
	rm -rf $(VENV) $(VENV2) $(VENVMIN) .venv-airflow3.* .demo .pytest_cache .mypy_cache .ruff_cache $(VENVDEPLOY) .deploy
