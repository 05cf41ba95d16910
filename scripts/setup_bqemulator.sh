#!/usr/bin/env bash
# The BigQuery emulator (bqemulator, DuckDB-backed) in its own venv: it pins duckdb 1.5.x while the
# project pins duckdb 2.0.x, so the two cannot share one environment. Test-only; idempotent.
#   scripts/setup_bqemulator.sh [VENV]     (default: .venv-bqemu beside this repo's .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-.venv-bqemu}"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.installed-bqemulator-1.4.0"
if [ -f "$STAMP" ]; then exit 0; fi
test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
# The DuckDB extensions come from PyPI wheels (the emulator would otherwise download them at start);
# numpy is needed by its Python UDFs but not declared.
"$VENV/bin/pip" install --quiet "bqemulator==1.4.0" "duckdb==1.5.5" \
    "duckdb-extension-spatial==1.5.5" "duckdb-extension-avro==1.5.5" "sqlglot==30.11.0" "numpy==2.4.6"
"$VENV/bin/pip" check
touch "$STAMP"
