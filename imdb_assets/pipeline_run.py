"""Materialize the whole graph for one snapshot in this process (what `imdb-assets run` does)."""

from __future__ import annotations

import uuid

import sys
from dataclasses import dataclass, field
from datetime import date

from dagster import AssetCheckSeverity, AssetKey, DagsterEventType, DagsterInstance

from imdb_assets.automation.jobs import retrain_on_dataset_job, snapshot_pipeline_job
from imdb_assets.definitions import build_definitions
from imdb_assets.errors import DataError, error_text, one_line, user_error_of
from imdb_assets.partitions import check_snapshot_date, register_snapshot_dates
from imdb_assets.run_recovery import cli_process_tags, fail_runs_of_ended_processes
from imdb_assets.scratch import remove_stale_scratch
from imdb_assets.step_progress import StepProgress

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
        return one_line("; ".join(
            f"{e.asset_key.to_user_string()}: blocking check {e.check_name} failed"
            + (f": {e.description}" if e.description else "")
            for e in blocked
        ) + " (nothing downstream was materialized)")
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            return f"{event.step_key}: {error_text(user_error_of(event.step_failure_data.error))}"
    return "run failed"


def _run_config(verbose: bool) -> dict:
    # Dagster's own event log only when asked for (the line per step is StepProgress's).
    loggers = {"silent": {}}
    if verbose:  # colour codes only for a terminal
        loggers["console" if sys.stderr.isatty() else "plain_console"] = {"config": {"log_level": "DEBUG"}}
    return {"loggers": loggers}


def recover_home(instance: DagsterInstance, defs) -> list[str]:
    """What a killed or cut-short earlier run left, put right before this one starts (one line each):
    its runs marked failed, its scratch folders removed, a half-published dataset rolled back."""
    from imdb_assets.dataset.layout import MOVIES_CSV_PATH

    notes = fail_runs_of_ended_processes(instance)
    stale = remove_stale_scratch()
    if stale:
        notes.append(f"removed {len(stale)} temporary folder(s) left by ended processes")
    repaired = defs.resources["dataset_repository"].repair_working_copy(MOVIES_CSV_PATH)
    if repaired:
        notes.append(repaired)
    return notes


def run_pipeline(
    snapshot_date: date | None,
    source: str,
    instance: DagsterInstance,
    verbose: bool = False,
    dataset_version: str | None = None,
    report=None,
) -> RunSummary:
    """Ingest the snapshot, build its dbt partition and everything downstream, in one run of
    `snapshot_pipeline_job` (checks included).

    With `dataset_version` (an md5 or unique prefix from `imdb-assets dataset list`), nothing is
    ingested or published: that version is selected again and features and the model are rebuilt on it
    (`retrain_on_dataset_job`). `report` receives the one-line notes of the start-up recovery."""
    partition_key = None if dataset_version else check_snapshot_date(snapshot_date).isoformat()  # before any work
    defs = build_definitions(source=source, quiet_dbt=not verbose)
    for note in recover_home(instance, defs):
        (report or (lambda _: None))(note)
    if dataset_version:
        return _run_on_dataset_version(dataset_version, instance, defs, verbose)
    register_snapshot_dates(instance, [partition_key])
    run_id = str(uuid.uuid4())  # a Dagster run id, known before the run starts
    with StepProgress(instance, run_id):
        result = defs.resolve_job_def(snapshot_pipeline_job.name).execute_in_process(
            instance=instance,
            partition_key=partition_key,
            run_config=_run_config(verbose),
            tags=cli_process_tags(),
            raise_on_error=False,
            run_id=run_id,
        )
    if not result.success:
        raise DataError(_failure_message(result))
    return summarize(snapshot_date, instance, run_id=result.run_id)


def _run_on_dataset_version(dataset_version: str, instance: DagsterInstance, defs, verbose: bool) -> RunSummary:
    from imdb_assets.dataset.assets import MOVIES_CSV_PATH

    record = defs.resources["dataset_repository"].registry(MOVIES_CSV_PATH).find(dataset_version)
    run_config = {**_run_config(verbose), "ops": {"movies_dataset": {"config": {"version": record.md5}}}}
    run_id = str(uuid.uuid4())  # a Dagster run id, known before the run starts
    with StepProgress(instance, run_id):
        result = defs.resolve_job_def(retrain_on_dataset_job.name).execute_in_process(
            instance=instance, run_config=run_config, tags=cli_process_tags(), raise_on_error=False, run_id=run_id
        )
    if not result.success:
        raise DataError(_failure_message(result))
    return summarize(date.fromisoformat(record.snapshot_date), instance, run_id=result.run_id)


def _materializations(instance: DagsterInstance, run_id: str | None) -> dict[str, dict]:
    """The latest materialization of each summarized asset: made by `run_id` (this run's own results,
    whatever other runs on the home did meanwhile), or the instance's latest when no run is named."""
    found: dict[str, object] = {}
    if run_id is not None:
        for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
            materialization = entry.asset_materialization
            if materialization is not None:
                found[materialization.asset_key.to_user_string()] = materialization  # later ones win
    else:
        for key in RAW_AND_DBT + DOWNSTREAM:
            event = instance.get_latest_materialization_event(AssetKey(key))
            if event is not None and event.asset_materialization is not None:
                found[key] = event.asset_materialization
    return found


def _plain_metadata(materialization) -> dict:
    return {k: v.value for k, v in materialization.metadata.items()} if materialization is not None else {}


def summarize(snapshot_date: date, instance: DagsterInstance, run_id: str | None = None) -> RunSummary:
    materializations = _materializations(instance, run_id)
    assets: dict[str, dict] = {}
    for key in RAW_AND_DBT + DOWNSTREAM:
        materialization = materializations.get(key)
        if materialization is None:
            continue
        metadata = _plain_metadata(materialization)
        assets[key] = {
            "rows": metadata.get("dagster/row_count"),
            "data_version": materialization.tags.get("dagster/data_version") if materialization.tags else None,
        }
    model_meta = _plain_metadata(materializations.get("enjoyment_model"))
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
    dataset_meta = _plain_metadata(materializations.get("movies_dataset"))
    return RunSummary(snapshot_date.isoformat(), assets, model, dataset=dataset_lineage(dataset_meta))


def dataset_lineage(meta: dict) -> dict:
    """From `movies_dataset`'s metadata: the dataset version the model used, and where it came from:
    md5 -> snapshot dates -> the IMDb files (sha256) they were loaded from, plus where its bytes live."""
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
