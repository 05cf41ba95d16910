"""`imdb-assets monitor`: materialize the monitoring assets for the home and say what they found."""

from __future__ import annotations

import uuid

import argparse
import contextlib
import json
import sys
import warnings

from imdb_assets.cli.arguments import add_command

DESCRIPTION = """
Read the prediction log ($IMDB_ASSETS_HOME/predictions/, written by `imdb-assets serve` and `imdb-assets
predict`), compare what was asked and answered with the champion's training data (genre mix PSI,
unknown-genre rate, title length and probability KS, positive rate), and score the answers that carried
a tconst against the ratings of snapshots loaded after them (ROC AUC, balanced accuracy per model
version, against the model's test figures).

This materializes served_predictions, prediction_drift and live_model_performance with their checks in
this process, in the home's Dagster instance (the UI shows them in the `monitoring` group), and prints
a summary, or with --json one object. A WARN check is printed as an alert; the command still succeeds.
"""

EXAMPLES = [
    "imdb-assets monitor",
    "imdb-assets monitor --json",
    "IMDB_ASSETS_HOME=/srv/imdb imdb-assets monitor --json | jq .drift.alerts",
]


def monitor_summary(metadata_by_asset: dict[str, dict]) -> dict:
    """The command's JSON object, from the three assets' `summary` metadata."""
    log = metadata_by_asset.get("served_predictions", {})
    drift = metadata_by_asset.get("prediction_drift", {})
    live = metadata_by_asset.get("live_model_performance", {})
    return {
        "predictions": log.get("rows", 0),
        "by_model_version": log.get("by_model_version", {}),
        "drift": {key: drift.get(key) for key in ("genre_psi", "unknown_genre_rate", "served_positive_rate", "training_positive_rate", "probability_ks")}
        | {"alerts": drift.get("alerts", [])},
        "live_performance": {key: live.get(key) for key in ("rows_with_outcome", "roc_auc", "balanced_accuracy", "test_roc_auc")}
        | {"alerts": live.get("alerts", [])},
    }


def run_monitoring(instance) -> dict[str, dict]:
    """Materialize the monitoring job; each asset's `summary` metadata."""
    from dagster import DagsterEventType

    from imdb_assets.automation.jobs import monitoring_job
    from imdb_assets.definitions import build_definitions
    from imdb_assets.errors import DataError
    from imdb_assets.pipeline_run import _failure_message
    from imdb_assets.step_progress import StepProgress

    defs = build_definitions()
    run_id = str(uuid.uuid4())  # a Dagster run id, known before the run starts
    with StepProgress(instance, run_id):
        result = defs.resolve_job_def(monitoring_job.name).execute_in_process(
            instance=instance, run_config={"loggers": {"silent": {}}}, raise_on_error=False, run_id=run_id
        )
    if not result.success:
        raise DataError(f"monitoring failed: {_failure_message(result)}")
    found = {}
    for entry in instance.all_logs(result.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
        materialization = entry.asset_materialization
        if materialization is not None and "summary" in materialization.metadata:
            found[materialization.asset_key.to_user_string()] = materialization.metadata["summary"].value
    return found


def _number(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _print_summary(summary: dict, location: str) -> None:
    print(f"imdb_assets: {summary['predictions']} served predictions in {location}")
    for version, count in summary["by_model_version"].items():
        print(f"  model {version}: {count}")
    drift = summary["drift"]
    print(
        f"drift: genre PSI {_number(drift['genre_psi'])}, unknown-genre rate {_number(drift['unknown_genre_rate'])}, "
        f"probability KS {_number(drift['probability_ks'])}, positive rate served {_number(drift['served_positive_rate'])} "
        f"vs test {_number(drift['training_positive_rate'])}"
    )
    live = summary["live_performance"]
    print(
        f"live performance: {live['rows_with_outcome']} answers with an outcome, ROC AUC {_number(live['roc_auc'])} "
        f"(test {_number(live['test_roc_auc'])}), balanced accuracy {_number(live['balanced_accuracy'])}"
    )
    alerts = drift["alerts"] + live["alerts"]
    for alert in alerts:
        print(f"ALERT: {alert}")
    if not alerts:
        from imdb_assets.monitoring.statistics import DriftThresholds, LiveThresholds

        # Small samples are not judged: say so, or "no alerts" would read as "all is well".
        unjudged = []
        if summary["predictions"] < DriftThresholds.min_rows:
            unjudged.append(f"drift is judged from {DriftThresholds.min_rows} served predictions")
        if live["rows_with_outcome"] < LiveThresholds.min_rows:
            unjudged.append(f"live performance from {LiveThresholds.min_rows} with an outcome")
        print("no alerts" + (f" ({' and '.join(unjudged)}; too few yet)" if unjudged else ""))


def _cmd_monitor(args: argparse.Namespace) -> int:
    from dagster import BetaWarning

    from imdb_assets.instance import local_instance
    from imdb_assets.model_store_for_env import model_store_for_env
    from imdb_assets.serving.prediction_log_store import prediction_log_location
    from imdb_assets.settings import local_paths

    if model_store_for_env().champion_version() is None:
        raise ValueError("no champion model to monitor yet: train one first (`imdb-assets run`)")
    # Keep stdout for the summary (and clean JSON): the step lines go to stderr.
    with contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():
        warnings.simplefilter("ignore", category=BetaWarning)
        found = run_monitoring(local_instance(local_paths().dagster_home))
    summary = monitor_summary(found)
    if args.json:
        print(json.dumps(summary))
    else:
        _print_summary(summary, prediction_log_location())
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    monitor = add_command(
        commands,
        "monitor",
        help="materialize the monitoring assets (prediction log, drift, live performance) and summarise them",
        description=DESCRIPTION,
        examples=EXAMPLES,
    )
    monitor.add_argument(
        "--json",
        action="store_true",
        help='print one JSON object: {"predictions", "by_model_version", "drift": {...}, "live_performance": {...}}',
    )
    monitor.set_defaults(handler=_cmd_monitor)
