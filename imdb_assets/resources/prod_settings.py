"""The `prod` environment: settings from environment variables, checked once at start-up, and the
resource set they configure (BigQuery, GCS, DVC on gs://, the GCS model store).

Credentials are never settings: every Google client uses Application Default Credentials, which on
GKE come from the pod's Workload Identity. Nothing secret is read here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imdb_assets.settings import IMDB_DATASETS_URL

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
    dbt_executable = optional["IMDB_ASSETS_DBT_EXECUTABLE"] or _default_dbt_executable()
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


def _default_dbt_executable() -> str:
    from imdb_assets.transform.project import dbt_executable

    return dbt_executable()


def prod_resources(settings: ProdSettings | None = None, source: str | None = None) -> dict[str, Any]:
    """The resource set of `IMDB_ASSETS_ENV=prod` (same keys as the local set); `source` overrides
    IMDB_ASSETS_SOURCE (as `imdb-assets run --source` does locally). Raises ProdSettingsError, naming
    every missing variable, when the environment is incomplete: definitions fail at start-up."""
    from dagster_gcp import BigQueryResource, GCSResource
    from dagster_gcp.gcs import GCSPickleIOManager

    from imdb_assets.resources.bigquery_warehouse import BigQueryWarehouse
    from imdb_assets.resources.dataset_repository import DatasetRepository
    from imdb_assets.resources.gcs_lake import GCSLake
    from imdb_assets.resources.gcs_model_store import GCSModelStoreResource
    from imdb_assets.resources.gcs_parquet_io import GCSParquetIOManager
    from imdb_assets.resources.gs_url import split_gs_url
    from imdb_assets.resources.imdb_source import ImdbSource
    from imdb_assets.transform.project import SubprocessOnlyDbtResource, imdb_dbt_project

    settings = settings or load_prod_settings()
    bigquery = BigQueryResource(project=settings.gcp_project, location=settings.bigquery_location)
    gcs = GCSResource(project=settings.gcp_project)
    io_bucket, io_prefix = split_gs_url(settings.io_url)
    return {
        "imdb_source": ImdbSource(location=source or settings.imdb_source),
        "warehouse": BigQueryWarehouse(bigquery=bigquery, dbt_dataset=settings.dbt_dataset),
        # dbt-bigquery lives in its own venv (see scripts/setup_dbt_bigquery.sh): dbt runs only as a
        # subprocess, no BigQuery adapter is built inside the Dagster process.
        "dbt": SubprocessOnlyDbtResource(project_dir=imdb_dbt_project, target="prod", dbt_executable=settings.dbt_executable),
        "lake": GCSLake(gcs=gcs, url=settings.lake_url),
        "dataset_repository": DatasetRepository(repo_dir=str(settings.work_dir / "data"), remote_url=settings.dvc_remote_url),
        "model_store": GCSModelStoreResource(root=settings.model_store_url, project=settings.gcp_project),
        "io_manager": GCSPickleIOManager(gcs=gcs, gcs_bucket=io_bucket, gcs_prefix=f"{io_prefix}/io".strip("/")),
        "parquet_io_manager": GCSParquetIOManager(gcs=gcs, url=f"{settings.io_url}/features"),
    }
