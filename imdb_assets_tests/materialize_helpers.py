"""Materialize parts of the graph in a test's home, the way `imdb-assets run` does."""

from pathlib import Path

from dagster import AssetKey, DagsterInstance, materialize

from imdb_assets.definitions import ALL_ASSET_CHECKS, ALL_ASSETS, build_definitions
from imdb_assets.partitions import register_snapshot_dates
from imdb_assets.pipeline_run import DOWNSTREAM, RAW_AND_DBT


def materialize_snapshot(
    source: Path | None,
    partition_key: str,
    instance: DagsterInstance | None = None,
    raise_on_error: bool = True,
    keys: tuple[str, ...] = RAW_AND_DBT,
    quiet_dbt: bool = False,
):
    """Materialize `keys` (default: raw tables and dbt) of one snapshot partition in this process
    (`quiet_dbt`: as `imdb-assets run` does without --verbose)."""
    defs = build_definitions(source=str(source) if source else None, quiet_dbt=quiet_dbt)
    instance = instance or DagsterInstance.ephemeral()
    register_snapshot_dates(instance, [partition_key])  # snapshot dates are dynamic partitions
    return materialize(
        ALL_ASSETS,
        selection=[AssetKey(k) for k in keys],
        partition_key=partition_key,
        resources=defs.resources,
        instance=instance,
        raise_on_error=raise_on_error,
    )


def materialize_downstream(instance: DagsterInstance | None = None, raise_on_error: bool = True):
    defs = build_definitions()
    return materialize(
        [*ALL_ASSETS, *ALL_ASSET_CHECKS],
        selection=[AssetKey(k) for k in DOWNSTREAM],
        resources=defs.resources,
        instance=instance,
        raise_on_error=raise_on_error,
    )
