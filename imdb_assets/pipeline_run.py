"""Materialize the whole graph for one snapshot in this process (what `imdb-assets run` does)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dagster import AssetKey, DagsterInstance, materialize

from imdb_assets.definitions import ALL_ASSETS, build_definitions
from imdb_assets.errors import DataError

RAW_AND_DBT = ("raw_title_basics", "raw_title_ratings", "filtered_movies_incremental")
DOWNSTREAM = ("movies_csv", "movies_dataset", "movie_features", "enjoyment_model")


@dataclass
class RunSummary:
    snapshot_date: str
    assets: dict[str, dict]
    model: dict

    def as_dict(self) -> dict:
        return {"snapshot_date": self.snapshot_date, "assets": self.assets, "model": self.model}


def _failure_message(result) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            while error.cause and error.cls_name in ("DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError"):
                error = error.cause
            return f"{event.step_key}: {error.message.strip().splitlines()[0]}"
    return "run failed"


def _quiet_run_config(log_level: str) -> dict:
    return {"loggers": {"console": {"config": {"log_level": log_level}}}}


def run_pipeline(snapshot_date: date, source: str, instance: DagsterInstance, log_level: str = "WARNING") -> RunSummary:
    """Ingest the snapshot and build its dbt partition, then refresh everything downstream."""
    defs = build_definitions(source=source)
    resources = defs.resources
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
        ALL_ASSETS,
        selection=[AssetKey(k) for k in DOWNSTREAM],
        instance=instance,
        resources=resources,
        run_config=_quiet_run_config(log_level),
        raise_on_error=False,
    )
    if not downstream.success:
        raise DataError(_failure_message(downstream))
    return summarize(snapshot_date, instance)


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
        "version": model_meta.get("model_version"),
        "dataset_version": model_meta.get("dataset_version"),
        "metrics": {k: model_meta.get(k) for k in ("roc_auc", "balanced_accuracy", "f1", "log_loss", "brier", "positive_rate")},
    }
    return RunSummary(snapshot_date.isoformat(), assets, model)


def assets_metadata(instance: DagsterInstance, key: str) -> dict:
    event = instance.get_latest_materialization_event(AssetKey(key))
    if event is None or event.asset_materialization is None:
        return {}
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}
