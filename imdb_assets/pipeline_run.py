"""Materialize the whole graph for one snapshot in this process (what `imdb-assets run` does)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from dagster import AssetCheckSeverity, AssetKey, DagsterInstance, materialize

from imdb_assets.definitions import ALL_ASSET_CHECKS, ALL_ASSETS, build_definitions
from imdb_assets.errors import DataError

RAW_AND_DBT = ("raw_title_basics", "raw_title_ratings", "filtered_movies_incremental")
DOWNSTREAM = ("movies_csv", "movies_dataset", "movie_features", "enjoyment_model")
# A run on an earlier dataset version: re-select it, then rebuild features and the model (no ingest).
FROM_DATASET_VERSION = ("movies_dataset", "movie_features", "enjoyment_model")


@dataclass
class RunSummary:
    snapshot_date: str
    assets: dict[str, dict]
    model: dict
    dataset: dict = field(default_factory=dict)  # lineage: dataset md5 -> snapshot dates -> source files

    def as_dict(self) -> dict:
        return {"snapshot_date": self.snapshot_date, "assets": self.assets, "model": self.model, "dataset": self.dataset}


def _failure_message(result) -> str:
    # A blocking check that failed says more than the step error it raises ("1 blocking check failed").
    blocked = [e for e in result.get_asset_check_evaluations() if not e.passed and e.severity == AssetCheckSeverity.ERROR]
    if blocked:
        return "; ".join(
            f"{e.asset_key.to_user_string()}: blocking check {e.check_name} failed"
            + (f": {e.description}" if e.description else "")
            for e in blocked
        ) + " (nothing downstream was materialized)"
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            while error.cause and error.cls_name in ("DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError"):
                error = error.cause
            return f"{event.step_key}: {error.message.strip().splitlines()[0]}"
    return "run failed"


def _quiet_run_config(log_level: str) -> dict:
    return {"loggers": {"console": {"config": {"log_level": log_level}}}}


def run_pipeline(
    snapshot_date: date | None,
    source: str,
    instance: DagsterInstance,
    log_level: str = "WARNING",
    dataset_version: str | None = None,
) -> RunSummary:
    """Ingest the snapshot and build its dbt partition, then refresh everything downstream.

    With `dataset_version` (an md5 or unique prefix from `imdb-assets dataset list`), nothing is
    ingested or published: that version is selected again and features and the model are rebuilt on it."""
    defs = build_definitions(source=source)
    resources = defs.resources
    if dataset_version:
        return _run_on_dataset_version(dataset_version, instance, resources, log_level)
    partitioned = materialize(
        ALL_ASSETS,
        selection=[AssetKey(k) for k in RAW_AND_DBT],
        partition_key=snapshot_date.isoformat(),
        instance=instance,
        resources=resources,
        run_config=_quiet_run_config(log_level),
        raise_on_error=False,
    )
    if not partitioned.success:
        raise DataError(_failure_message(partitioned))
    downstream = materialize(
        [*ALL_ASSETS, *ALL_ASSET_CHECKS],  # the dataset's blocking checks stop publishing bad data
        selection=[AssetKey(k) for k in DOWNSTREAM],
        instance=instance,
        resources=resources,
        run_config=_quiet_run_config(log_level),
        raise_on_error=False,
    )
    if not downstream.success:
        raise DataError(_failure_message(downstream))
    return summarize(snapshot_date, instance)


def _run_on_dataset_version(dataset_version: str, instance: DagsterInstance, resources: dict, log_level: str) -> RunSummary:
    from imdb_assets.dataset.assets import MOVIES_CSV_PATH

    record = resources["dataset_repository"].registry(MOVIES_CSV_PATH).find(dataset_version)
    result = materialize(
        ALL_ASSETS,
        selection=[AssetKey(k) for k in FROM_DATASET_VERSION],
        instance=instance,
        resources=resources,
        run_config={**_quiet_run_config(log_level), "ops": {"movies_dataset": {"config": {"version": record.md5}}}},
        raise_on_error=False,
    )
    if not result.success:
        raise DataError(_failure_message(result))
    return summarize(date.fromisoformat(record.snapshot_date), instance)


def summarize(snapshot_date: date, instance: DagsterInstance) -> RunSummary:
    assets: dict[str, dict] = {}
    for key in RAW_AND_DBT + DOWNSTREAM:
        event = instance.get_latest_materialization_event(AssetKey(key))
        if event is None or event.asset_materialization is None:
            continue
        materialization = event.asset_materialization
        metadata = {k: v.value for k, v in materialization.metadata.items()}
        assets[key] = {
            "rows": metadata.get("dagster/row_count"),
            "data_version": materialization.tags.get("dagster/data_version") if materialization.tags else None,
        }
    model_meta = assets_metadata(instance, "enjoyment_model")
    model = {
        # The challenger trained by the latest run, measured on the held-out test split.
        "version": model_meta.get("model_version"),
        "dataset_version": model_meta.get("dataset_version"),
        "metrics": {k: model_meta.get(k) for k in ("roc_auc", "pr_auc", "balanced_accuracy", "f1", "log_loss", "brier", "positive_rate")},
        "confusion_matrix": model_meta.get("confusion_matrix_counts"),
        "threshold": model_meta.get("threshold"),
        "baselines": model_meta.get("baselines"),
        # The promotion decision: which version serves now, and why.
        "champion_version": model_meta.get("champion_version"),
        "promoted": model_meta.get("promoted"),
        "reason": model_meta.get("promotion_reason"),
    }
    return RunSummary(snapshot_date.isoformat(), assets, model, dataset=dataset_lineage(instance))


def dataset_lineage(instance: DagsterInstance) -> dict:
    """The dataset version downstream assets last used, and where it came from: md5 -> snapshot
    dates -> the IMDb files (sha256) they were loaded from, plus where its bytes live."""
    meta = assets_metadata(instance, "movies_dataset")
    if not meta:
        return {}
    return {
        "md5": meta.get("dvc_md5"),
        "rows": meta.get("dagster/row_count"),
        "size_bytes": meta.get("size_bytes"),
        "snapshot_dates": meta.get("snapshot_dates"),
        "source_files": meta.get("source_files"),
        "remote": meta.get("remote_object"),
        "lake": {k.removeprefix("lake_"): v for k, v in meta.items() if k.startswith("lake_")},
        "published_at": meta.get("published_at"),
        "reused_version": meta.get("reused_version"),
    }


def assets_metadata(instance: DagsterInstance, key: str) -> dict:
    event = instance.get_latest_materialization_event(AssetKey(key))
    if event is None or event.asset_materialization is None:
        return {}
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}
