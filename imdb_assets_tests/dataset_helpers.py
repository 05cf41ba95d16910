"""Helpers for the dataset and contract tests: run parts of the graph with the dataset checks, call the
`dataset` CLI, and take a fingerprint of everything a failed run must leave untouched."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
from dagster import AssetKey, DagsterInstance, materialize

from imdb_assets.cli import main
from imdb_assets.definitions import ALL_ASSET_CHECKS, ALL_ASSETS, build_definitions
from imdb_assets.partitions import register_snapshot_dates
from imdb_assets.pipeline_run import DOWNSTREAM, RAW_AND_DBT
from imdb_assets.settings import LocalPaths

MOVIES_CSV = "raw/filtered_movies_incremental.csv"


def graph_with_dataset_checks() -> list:
    """All assets and asset checks, as `imdb-assets run` materializes them (the dataset's checks are
    declared on `movies_csv` itself, so they come with the asset)."""
    [csv_asset] = [a for a in ALL_ASSETS if AssetKey("movies_csv") in getattr(a, "keys", ())]
    assert csv_asset.check_specs, "movies_csv lost its checks"
    return [*ALL_ASSETS, *ALL_ASSET_CHECKS]


def materialize_raw(source: Path, partition_key: str, instance: DagsterInstance, resources: dict | None = None):
    defs = build_definitions(source=str(source))
    register_snapshot_dates(instance, [partition_key])  # snapshot dates are dynamic partitions
    return materialize(
        ALL_ASSETS,
        selection=[AssetKey(k) for k in RAW_AND_DBT],
        partition_key=partition_key,
        resources=resources or defs.resources,
        instance=instance,
    )


def materialize_downstream(
    instance: DagsterInstance,
    keys: tuple[str, ...] = DOWNSTREAM,
    resources: dict | None = None,
    run_config: dict | None = None,
    raise_on_error: bool = False,
):
    """The dataset assets (with their checks) and what follows, as `imdb-assets run` materializes them."""
    return materialize(
        graph_with_dataset_checks(),
        selection=[AssetKey(k) for k in keys],
        resources=resources or build_definitions().resources,
        instance=instance,
        run_config=run_config,
        raise_on_error=raise_on_error,
    )


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """`imdb-assets ARGS` in this process, with the `dataset` command registered (the lead wires it into
    COMMAND_MODULES; until then this adds it for the test)."""
    import imdb_assets.cli as cli_package
    from imdb_assets.cli import dataset as dataset_cli

    modules = cli_package.COMMAND_MODULES
    if dataset_cli not in modules:
        cli_package.COMMAND_MODULES = (*modules, dataset_cli)
    try:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
    finally:
        cli_package.COMMAND_MODULES = modules
    return code, captured.out, captured.err


def cli_json(capsys, *args: str):
    code, out, err = cli(capsys, *args)
    assert code == 0, err
    return json.loads(out)


def latest_metadata(instance: DagsterInstance, key: str) -> dict:
    event = instance.get_latest_materialization_event(AssetKey(key))
    return {k: v.value for k, v in event.asset_materialization.metadata.items()} if event else {}


def md5_of(path: Path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def fingerprint(home: Path) -> dict:
    """Every output and version a failed run must leave exactly as it was."""
    paths = LocalPaths(home)

    def files_under(folder: Path) -> dict[str, str]:
        return {p.relative_to(folder).as_posix(): md5_of(p) for p in sorted(folder.rglob("*")) if p.is_file()} if folder.exists() else {}

    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        raw = con.execute("SELECT snapshot_date, count(*) FROM raw.title_basics GROUP BY 1 ORDER BY 1").fetchall()
        filtered = con.execute("SELECT count(*), max(last_modified) FROM main.filtered_movies_incremental").fetchone()
    # DVC's own config and scratch folders are not outputs (the config follows the resource's remote).
    data = {k: v for k, v in files_under(paths.data_dir).items() if not k.startswith((".dvc/tmp", ".dvc/site-cache", ".dvc/config", ".staging"))}
    return {
        "raw": raw,
        "filtered": filtered,
        "data": data,  # tracked CSV, .dvc pointers, registry, DVC cache
        "dvc_remote": files_under(paths.dvc_remote),
        "lake": files_under(paths.lake),
        "models": files_under(paths.models_dir),
        "features": files_under(paths.features_dir),
    }
