"""Drift through HTTP and the CLI: a Horror-only stream raises the genre drift alert, a stream drawn from the
champion's own training rows raises none; the alerts are WARN checks on `prediction_drift` and, when
switched on, request a retrain of `enjoyment_model`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster import AssetCheckKey, AssetKey, DagsterInstance, SensorResult, SkipReason, build_sensor_context

from imdb_assets.automation.monitoring_sensors import new_prediction_log_files, retrain_on_monitoring_alert_sensor
from imdb_assets.instance import local_instance
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.monitoring_helpers import clear_log, monitor_json, requests_from, serve_into_log, training_rows

DRIFT_CHECKS = ("genre_mix_drift", "unknown_genre_rate", "title_length_drift", "positive_rate_drift", "probability_drift")


def _latest_check(instance: DagsterInstance, name: str):
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key([AssetCheckKey(AssetKey("prediction_drift"), name)])
    return record[AssetCheckKey(AssetKey("prediction_drift"), name)].event.asset_check_evaluation


def test_a_matched_stream_raises_no_drift_alert(home_copy: Path):
    clear_log(home_copy)
    matched = training_rows(home_copy).sample(n=300, random_state=7)
    serve_into_log(home_copy, requests_from(matched))
    summary = monitor_json(home_copy)
    assert summary["predictions"] == 300
    drift = summary["drift"]
    assert drift["alerts"] == [], drift
    assert drift["genre_psi"] < 0.1 and drift["unknown_genre_rate"] == 0.0
    instance = local_instance(LocalPaths(home_copy).dagster_home)
    assert all(_latest_check(instance, name).passed for name in DRIFT_CHECKS)
    # No alert: the retrain sensor has nothing to ask for.
    assert isinstance(retrain_on_monitoring_alert_sensor(build_sensor_context(instance=instance)), SkipReason)


def test_a_horror_only_stream_raises_the_genre_drift_alert_and_can_request_a_retrain(home_copy: Path):
    clear_log(home_copy)
    horror = [{"title": f"Night of the Thing {i}", "genres": ["Horror"], "tconst": f"tt{8_000_000 + i:07d}"} for i in range(120)]
    serve_into_log(home_copy, horror)
    summary = monitor_json(home_copy)
    drift = summary["drift"]
    assert drift["genre_psi"] > 0.2
    assert any(alert.startswith("genre mix PSI") for alert in drift["alerts"]), drift
    instance = local_instance(LocalPaths(home_copy).dagster_home)
    genre_check = _latest_check(instance, "genre_mix_drift")
    assert not genre_check.passed and genre_check.severity.value == "WARN"
    assert "genre mix PSI" in genre_check.description

    # The retrain signal: one request per champion and kind of alert (a repeated run key is skipped by Dagster).
    result = retrain_on_monitoring_alert_sensor(build_sensor_context(instance=instance))
    assert isinstance(result, SensorResult) and len(result.run_requests) == 1
    request = result.run_requests[0]
    assert "prediction_drift=" in request.run_key and "genre_psi" in request.run_key
    again = retrain_on_monitoring_alert_sensor(build_sensor_context(instance=instance))
    assert again.run_requests[0].run_key == request.run_key


def test_the_retrain_signal_is_off_unless_switched_on():
    code = "from imdb_assets.automation.monitoring_sensors import retrain_on_monitoring_alert_sensor as s; print(s.default_status.value)"
    statuses = {}
    for switch in ("", "1"):
        env = {**os.environ, "IMDB_ASSETS_RETRAIN_ON_ALERT": switch}
        statuses[switch] = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True).stdout.strip()
    assert statuses == {"": "STOPPED", "1": "RUNNING"}


def test_new_log_files_request_served_predictions_once(imdb_home: Path):
    from imdb_assets.serving.prediction_log import LoggedItem, LoggedRequest, PredictionLog
    from imdb_assets.serving.prediction_log_store import LocalPredictionLogStore

    with DagsterInstance.ephemeral() as instance:
        assert isinstance(new_prediction_log_files(build_sensor_context(instance=instance)), SkipReason)  # no log yet
        log = PredictionLog(LocalPredictionLogStore(LocalPaths(imdb_home).prediction_log))
        log.record(LoggedRequest(1_764_633_600.0, "r", "v1", 0.5, [LoggedItem("Heat", "Crime")], [{"probability": 0.7, "label": 1, "unknown_genres": []}]))
        log.close()
        first = new_prediction_log_files(build_sensor_context(instance=instance))
        assert isinstance(first, SensorResult) and len(first.run_requests) == 1
        repeated = new_prediction_log_files(build_sensor_context(instance=instance, cursor=first.cursor))
        assert isinstance(repeated, SkipReason)
