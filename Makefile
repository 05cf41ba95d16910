# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export IMDB_ASSETS_HOME ?= $(CURDIR)/.imdb_assets
STAMP := $(VENV)/.installed
BQEMU_VENV ?= .venv-bqemu
DBT_BIGQUERY_VENV ?= .venv-dbt-bigquery

.PHONY: install run dev serve test test-fast sample clean prod-tools bench bench-small bench-serving bench-days bench-model

INSTALL_LOG := $(VENV)/install.log

# pip's own output goes to a log, shown only when the install fails; the terminal gets one line.
# (setuptools explains editable installs at length on every install: the project knows, imports
# resolve to ./imdb_assets.)
$(STAMP): setup.py pyproject.toml
	@echo "building $(VENV) (pip's log: $(INSTALL_LOG))"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@{ $(BIN)/pip install --quiet --upgrade pip wheel && \
	  PYTHONWARNINGS="ignore:Editable installation" $(BIN)/pip install --quiet -e ".[dev]"; } > $(INSTALL_LOG) 2>&1 \
	  || { tail -n 40 $(INSTALL_LOG); echo "install failed; the whole log is $(INSTALL_LOG)"; exit 1; }
	@touch $(STAMP)

install: $(STAMP)

## Materialize the whole asset graph on the bundled sample and print what it made.
run: $(STAMP)
	@$(BIN)/imdb-assets run

## The Dagster UI (http://127.0.0.1:3000; another port: `PORT=3001 make dev`) with the sensors running:
## a snapshot loaded with `imdb-assets ingest` is built and refreshed while you watch.
dev: PORT ?= 3000
dev: $(STAMP)
	DAGSTER_HOME=$(IMDB_ASSETS_HOME)/dagster PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m imdb_assets.automation.devserver -w workspace.yaml -h 127.0.0.1 -p $(PORT)

## The HTTP API and page (http://127.0.0.1:8000; another port: `make serve PORT=8123`) serving the champion model.
serve: PORT ?= 8000
serve: $(STAMP)
	$(BIN)/imdb-assets serve --port $(PORT)

## Side environments for the prod tests: the BigQuery emulator and dbt-bigquery (idempotent).
prod-tools:
	PYTHON=$(PYTHON) scripts/setup_bqemulator.sh $(BQEMU_VENV)
	PYTHON=$(PYTHON) scripts/setup_dbt_bigquery.sh $(DBT_BIGQUERY_VENV)

## The full test suite.
test: $(STAMP) prod-tools
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/pytest -ra

## The fast suite only (skips tests marked slow, and those needing the side environments of prod-tools).
test-fast: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/pytest -ra -m "not slow and not prod_tools"

## Full-scale benchmark (11.8M titles, then a next-day snapshot): a table, and JSON in benchmarks/results/.
bench: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m benchmarks.scale_bench

## Growth benchmark: 30 consecutive daily snapshots at 2 M titles, the whole pipeline and gc each day, sizes per day
## (full size: `make bench-days DAYS_ARGS="--titles 11800000 --days 10"`).
bench-days: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m benchmarks.bench_days $(DAYS_ARGS)

## The same benchmark on a small snapshot (what CI runs as a smoke test).
bench-small: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m benchmarks.scale_bench --small

## Serving latency and throughput on loopback.
bench-serving: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python benchmarks/serving_bench.py --build-sample

## The model on real films over repeated splits, beside its baselines and the naive pipeline (issue 18).
bench-model: SOURCE ?= ../shared/realdata/imdb-films-2005
bench-model: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m benchmarks.real_data_eval --source $(SOURCE)

## Regenerate the bundled IMDb-format sample with the synthetic generator.
sample: $(STAMP)
	$(BIN)/python -m imdb_assets.synth --out imdb_assets/ingest/sample --titles 85000 --seed 7 && rm -f imdb_assets/ingest/sample/synth.json

clean:
	rm -rf $(IMDB_ASSETS_HOME)
