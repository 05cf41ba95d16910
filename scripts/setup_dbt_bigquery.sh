#!/usr/bin/env bash
# dbt with the BigQuery adapter in its own venv. dbt-bigquery pins google-cloud-storage<3.2, while the
# project's GCS stack (dvc-gs -> gcsfs >= 2026.9 -> google-cloud-storage >= 3.14) needs a newer one;
# installing it into the main venv would drag gcsfs, fsspec and google-cloud-storage a year back for
# everything. Dagster runs dbt as a subprocess anyway, so prod points IMDB_ASSETS_DBT_EXECUTABLE at
# this venv's `dbt` (the Dockerfile builds the same layout under /opt/dbt). Idempotent.
#   scripts/setup_dbt_bigquery.sh [VENV]     (default: .venv-dbt-bigquery)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-.venv-dbt-bigquery}"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.installed-dbt-bigquery-1.12.1"
if [ -f "$STAMP" ]; then exit 0; fi
test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet -r deploy/requirements-dbt-bigquery.txt
"$VENV/bin/pip" check
touch "$STAMP"
