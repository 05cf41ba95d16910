"""Sensors of the monitoring loop: refresh it when the prediction log grows, and (if switched on) turn
its alerts into a retrain of `enjoyment_model`.

`new_prediction_log_files` lists the log's batch files (write-once, named by time) and requests
`served_predictions` when the newest one changed; `refresh_downstream` then refreshes
`prediction_drift` and `live_model_performance` through their automation condition (as it does after
new snapshots, which `live_model_performance` also depends on). `retrain_on_monitoring_alert` is off
by default (IMDB_ASSETS_RETRAIN_ON_ALERT=1, or switch it on in the UI): it reads the latest
materialization of the two judging assets and requests one retrain per alerting materialization.
"""

from __future__ import annotations

import json

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from imdb_assets.automation.jobs import retrain_after_alert_job, served_predictions_job
from imdb_assets.automation.tick_settings import sensor_interval_seconds
from imdb_assets.serving.prediction_log_store import prediction_log_store_for_env
from imdb_assets.settings import retrain_on_monitoring_alert

JUDGING_ASSETS = ("prediction_drift", "live_model_performance")


@sensor(
    job=served_predictions_job,
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=sensor_interval_seconds(),
    description="Requests served_predictions when new prediction log files arrived (drift and live "
    "performance follow through their automation condition).",
)
def new_prediction_log_files(context: SensorEvaluationContext):
    names = prediction_log_store_for_env().names()
    if not names:
        return SkipReason("the prediction log is empty")
    seen = json.loads(context.cursor) if context.cursor else {}
    newest = {"files": len(names), "newest": names[-1]}
    if seen == newest:
        return SkipReason(f"no new prediction log file since {names[-1]}")
    return SensorResult(run_requests=[RunRequest(run_key=f"{newest['files']}@{newest['newest']}")], cursor=json.dumps(newest))


def alerting_materializations(instance) -> list[tuple[str, str, list[str]]]:
    """(asset, what alerts for which champion, alerts) of the judging assets' latest materializations."""
    found = []
    for name in JUDGING_ASSETS:
        records = instance.fetch_materializations(AssetRecordsFilter(asset_key=AssetKey(name)), limit=1).records
        if not records:
            continue
        metadata = records[0].asset_materialization.metadata
        summary = metadata["summary"].value if "summary" in metadata else {}
        if summary.get("alerts"):
            kinds = ",".join(sorted(summary.get("alert_keys", [])))
            found.append((name, f"{summary.get('champion_version')}:{kinds}", list(summary["alerts"])))
    return found


@sensor(
    name="retrain_on_monitoring_alert",
    job=retrain_after_alert_job,
    default_status=DefaultSensorStatus.RUNNING if retrain_on_monitoring_alert() else DefaultSensorStatus.STOPPED,
    minimum_interval_seconds=sensor_interval_seconds(),
    description="Off by default (IMDB_ASSETS_RETRAIN_ON_ALERT=1 starts it on): requests a retrain of "
    "enjoyment_model when prediction_drift or live_model_performance alerts (once per champion and kind of alert).",
)
def retrain_on_monitoring_alert_sensor(context: SensorEvaluationContext):
    alerting = alerting_materializations(context.instance)
    if not alerting:
        return SkipReason("no monitoring alert")
    # The run key names the champion and what alerts: a retrain on unchanged data trains the same model,
    # so the same alert about the same champion is answered once (Dagster skips a repeated run key).
    run_key = "retrain:" + "|".join(f"{name}={kinds}" for name, kinds, _ in alerting)
    reason = "; ".join(alert for _, _, alerts in alerting for alert in alerts)[:250]
    return SensorResult(run_requests=[RunRequest(run_key=run_key, tags={"imdb_assets/retrain_reason": reason})])
