"""The `prod` environment's settings: read from environment variables and checked once, every problem
named. No Dagster and no Google clients here: the commands read the settings too (the resource set they
configure is built in imdb_assets/environments.py).

Credentials are never settings: every Google client uses Application Default Credentials, which on
GKE come from the pod's Workload Identity. Nothing secret is read here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from imdb_assets.settings import IMDB_DATASETS_URL, default_dbt_executable

# name -> what it holds (shown when it is missing)
REQUIRED_VARIABLES = {
    "IMDB_ASSETS_GCP_PROJECT": "GCP project id of the BigQuery datasets (and billed for queries)",
    "IMDB_ASSETS_LAKE_URL": "gs://bucket/prefix of the data lake (published CSVs)",
    "IMDB_ASSETS_DVC_REMOTE_URL": "gs://bucket/prefix of the DVC remote (versioned datasets)",
    "IMDB_ASSETS_MODEL_STORE_URL": "gs://bucket/prefix of the model store",
    "IMDB_ASSETS_IO_URL": "gs://bucket/prefix for intermediate asset values shared between run pods",
}
GS_URL_VARIABLES = ("IMDB_ASSETS_LAKE_URL", "IMDB_ASSETS_DVC_REMOTE_URL", "IMDB_ASSETS_MODEL_STORE_URL", "IMDB_ASSETS_IO_URL")
# name -> default
OPTIONAL_VARIABLES = {
    "IMDB_ASSETS_BQ_LOCATION": "US",
    "IMDB_ASSETS_BQ_DATASET": "imdb",
    "IMDB_ASSETS_SOURCE": IMDB_DATASETS_URL,
    "IMDB_ASSETS_HOME": "/tmp/imdb_assets",
    "IMDB_ASSETS_DBT_EXECUTABLE": "",
}


class ProdSettingsError(ValueError):
    """The prod environment is not configured: the message names every missing or invalid variable."""


@dataclass(frozen=True)
class ProdSettings:
    gcp_project: str
    bigquery_location: str
    dbt_dataset: str  # where dbt's `prod` target builds its models; raw tables are in dataset `raw`
    lake_url: str
    dvc_remote_url: str
    model_store_url: str
    io_url: str
    imdb_source: str
    work_dir: Path  # pod-local scratch: the DVC working copy and its cache
    dbt_executable: str  # a dbt with the BigQuery adapter (its own venv: see scripts/setup_dbt_bigquery.sh)


def load_prod_settings(environ: Mapping[str, str] | None = None) -> ProdSettings:
    """Read and check every prod variable; raise ProdSettingsError naming all that are missing or wrong."""
    env = os.environ if environ is None else environ
    value = {name: env.get(name, "").strip() for name in REQUIRED_VARIABLES}
    problems = [f"{name} is not set ({meaning})" for name, meaning in REQUIRED_VARIABLES.items() if not value[name]]
    for name in GS_URL_VARIABLES:
        url = value[name]
        if url and (not url.startswith("gs://") or len(url.rstrip("/")) <= len("gs://")):
            problems.append(f"{name}={url!r} is not a gs://bucket[/prefix] URL")
    optional = {name: (env.get(name, "").strip() or default) for name, default in OPTIONAL_VARIABLES.items()}
    dbt_executable = optional["IMDB_ASSETS_DBT_EXECUTABLE"] or default_dbt_executable()
    if optional["IMDB_ASSETS_DBT_EXECUTABLE"] and not Path(dbt_executable).is_file():
        problems.append(f"IMDB_ASSETS_DBT_EXECUTABLE={dbt_executable!r} does not exist")
    if problems:
        raise ProdSettingsError("IMDB_ASSETS_ENV=prod: " + "; ".join(problems))
    return ProdSettings(
        gcp_project=value["IMDB_ASSETS_GCP_PROJECT"],
        bigquery_location=optional["IMDB_ASSETS_BQ_LOCATION"],
        dbt_dataset=optional["IMDB_ASSETS_BQ_DATASET"],
        lake_url=value["IMDB_ASSETS_LAKE_URL"].rstrip("/"),
        dvc_remote_url=value["IMDB_ASSETS_DVC_REMOTE_URL"].rstrip("/"),
        model_store_url=value["IMDB_ASSETS_MODEL_STORE_URL"].rstrip("/"),
        io_url=value["IMDB_ASSETS_IO_URL"].rstrip("/"),
        imdb_source=optional["IMDB_ASSETS_SOURCE"],
        work_dir=Path(optional["IMDB_ASSETS_HOME"]).expanduser().resolve(),
        dbt_executable=dbt_executable,
    )
