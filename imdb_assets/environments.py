"""The resource set of each environment (local | prod), with its dbt target; which one is used is
decided by imdb_assets/settings.py, or by `build_definitions(env=...)`."""

from __future__ import annotations

from typing import Any

from dagster import FilesystemIOManager

from imdb_assets.dataset.repository import DatasetRepository
from imdb_assets.ingest.source import ImdbSource
from imdb_assets.model.store_resource import ModelStoreResource
from imdb_assets.prod_settings import ProdSettings, load_prod_settings
from imdb_assets.resources.lake import LocalFolderLake
from imdb_assets.resources.parquet_io import ParquetIOManager
from imdb_assets.resources.warehouse import DuckDBWarehouse
from imdb_assets.settings import ENVIRONMENTS, LocalPaths, current_env, imdb_source, local_paths
from imdb_assets.transform.project import SubprocessOnlyDbtResource, dbt_resource, imdb_dbt_project, with_quiet

# The dbt profile's output each environment builds into (dbt_project/profiles.yml).
DBT_TARGETS = {"local": "local", "prod": "prod"}


def local_resources(paths: LocalPaths, source: str, quiet_dbt: bool = False) -> dict[str, Any]:
    """Everything on one machine, under one home folder: DuckDB, folders, a folder DVC remote."""
    return {
        "imdb_source": ImdbSource(location=source),
        "warehouse": DuckDBWarehouse(path=str(paths.warehouse)),
        "dbt": dbt_resource(target=DBT_TARGETS["local"], quiet=quiet_dbt),
        "lake": LocalFolderLake(root=str(paths.lake)),
        "dataset_repository": DatasetRepository(repo_dir=str(paths.data_dir), remote_url=str(paths.dvc_remote)),
        "model_store": ModelStoreResource(root=str(paths.models_dir)),
        "io_manager": FilesystemIOManager(base_dir=str(paths.home / "io")),
        "parquet_io_manager": ParquetIOManager(base_path=str(paths.features_dir)),
    }


def prod_resources(settings: ProdSettings | None = None, source: str | None = None) -> dict[str, Any]:
    """The resource set of `IMDB_ASSETS_ENV=prod` (same keys as the local set); `source` overrides
    IMDB_ASSETS_SOURCE (as `imdb-assets run --source` does locally). Raises ProdSettingsError, naming
    every missing variable, when the environment is incomplete: definitions fail at start-up."""
    # Imported here: the local environment needs none of the Google clients.
    from dagster_gcp import BigQueryResource, GCSResource
    from dagster_gcp.gcs import GCSPickleIOManager

    from imdb_assets.model.gcs_store_resource import GCSModelStoreResource
    from imdb_assets.resources.bigquery_warehouse import BigQueryWarehouse
    from imdb_assets.resources.gcs_lake import GCSLake
    from imdb_assets.resources.gs_url import split_gs_url

    settings = settings or load_prod_settings()
    bigquery = BigQueryResource(project=settings.gcp_project, location=settings.bigquery_location)
    gcs = GCSResource(project=settings.gcp_project)
    io_bucket, io_prefix = split_gs_url(settings.io_url)
    return {
        "imdb_source": ImdbSource(location=source or settings.imdb_source),
        "warehouse": BigQueryWarehouse(bigquery=bigquery, dbt_dataset=settings.dbt_dataset),
        # dbt-bigquery lives in its own venv (see scripts/setup_dbt_bigquery.sh): dbt runs only as a
        # subprocess, no BigQuery adapter is built inside the Dagster process.
        "dbt": SubprocessOnlyDbtResource(
            project_dir=imdb_dbt_project, target=DBT_TARGETS["prod"], dbt_executable=settings.dbt_executable
        ),
        "lake": GCSLake(gcs=gcs, url=settings.lake_url),
        "dataset_repository": DatasetRepository(repo_dir=str(settings.work_dir / "data"), remote_url=settings.dvc_remote_url),
        "model_store": GCSModelStoreResource(root=settings.model_store_url, project=settings.gcp_project),
        "io_manager": GCSPickleIOManager(gcs=gcs, gcs_bucket=io_bucket, gcs_prefix=f"{io_prefix}/io".strip("/")),
        "parquet_io_manager": ParquetIOManager(base_path=f"{settings.io_url}/features", gcp_project=settings.gcp_project),
    }


def resources_for_env(env: str | None = None, source: str | None = None, quiet_dbt: bool = False) -> dict[str, Any]:
    """`quiet_dbt`: dbt echoes only its warnings, errors and closing summary (a terminal run without
    --verbose); otherwise every line, e.g. into a step's compute logs."""
    env = env or current_env()
    if env == "local":
        return local_resources(local_paths(), source or imdb_source(), quiet_dbt)
    if env == "prod":
        resources = prod_resources(source=source)
        return {**resources, "dbt": with_quiet(resources["dbt"], quiet_dbt)}
    raise ValueError(f"environment {env!r} is not one of {', '.join(ENVIRONMENTS)}")
