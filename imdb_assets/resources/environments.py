"""The resource set of each environment; which one is used is decided by imdb_assets/settings.py."""

from __future__ import annotations

from typing import Any

from dagster import FilesystemIOManager

from imdb_assets.resources.dataset_repository import DatasetRepository
from imdb_assets.resources.imdb_source import ImdbSource
from imdb_assets.resources.lake import LocalFolderLake
from imdb_assets.resources.model_store import ModelStoreResource
from imdb_assets.resources.parquet_io import LocalParquetIOManager
from imdb_assets.resources.warehouse import DuckDBWarehouse
from imdb_assets.settings import LocalPaths, current_env, imdb_source, local_paths
from imdb_assets.transform.project import dbt_resource, with_quiet


def local_resources(paths: LocalPaths, source: str, quiet_dbt: bool = False) -> dict[str, Any]:
    """Everything on one machine, under one home folder: DuckDB, folders, a folder DVC remote."""
    return {
        "imdb_source": ImdbSource(location=source),
        "warehouse": DuckDBWarehouse(path=str(paths.warehouse)),
        "dbt": dbt_resource(quiet=quiet_dbt),
        "lake": LocalFolderLake(root=str(paths.lake)),
        "dataset_repository": DatasetRepository(repo_dir=str(paths.data_dir), remote_url=str(paths.dvc_remote)),
        "model_store": ModelStoreResource(root=str(paths.models_dir)),
        "io_manager": FilesystemIOManager(base_dir=str(paths.home / "io")),
        "parquet_io_manager": LocalParquetIOManager(base_dir=str(paths.features_dir)),
    }


def resources_for_env(env: str | None = None, source: str | None = None, quiet_dbt: bool = False) -> dict[str, Any]:
    """`quiet_dbt`: dbt echoes only its warnings, errors and closing summary (a terminal run without
    --verbose); otherwise every line, e.g. into a step's compute logs."""
    env = env or current_env()
    if env == "local":
        return local_resources(local_paths(), source or imdb_source(), quiet_dbt)
    if env == "prod":
        # Imported here: the local environment needs none of the Google clients. Raises an error naming
        # every missing variable, so definitions fail at start-up rather than mid-run.
        from imdb_assets.resources.prod_settings import prod_resources

        resources = prod_resources(source=source)
        return {**resources, "dbt": with_quiet(resources["dbt"], quiet_dbt)}
    raise ValueError(f"environment {env!r} is not one of local, prod")
