# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export IMDB_ASSETS_HOME ?= $(CURDIR)/.imdb_assets
STAMP := $(VENV)/.installed

.PHONY: install run dev test test-fast sample clean

$(STAMP): setup.py pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Materialize the whole asset graph on the bundled sample and print what it made.
run: $(STAMP)
	$(BIN)/imdb-assets run

## The Dagster UI (http://127.0.0.1:3000) with the same definitions and the same home.
dev: $(STAMP)
	mkdir -p $(IMDB_ASSETS_HOME)/dagster
	test -f $(IMDB_ASSETS_HOME)/dagster/dagster.yaml || printf 'telemetry:\n  enabled: false\nnux:\n  enabled: false\n' > $(IMDB_ASSETS_HOME)/dagster/dagster.yaml
	DAGSTER_HOME=$(IMDB_ASSETS_HOME)/dagster PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

## The full test suite.
test: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/pytest -ra

## The fast suite only (skips tests marked slow).
test-fast: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/pytest -ra -m "not slow"

## Regenerate the bundled IMDb-format sample with the synthetic generator.
sample: $(STAMP)
	$(BIN)/python -m imdb_assets.synth --out imdb_assets/ingest/sample --titles 50000 --seed 7

clean:
	rm -rf $(IMDB_ASSETS_HOME)
