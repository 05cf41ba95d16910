"""Automation of the monitoring loop: new prediction log files make the sensor request served_predictions,
after which drift and live performance refresh through their automation condition; a new ratings
snapshot refreshes live performance only."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetKey, AssetMaterialization, SensorResult, build_sensor_context, evaluate_automation_conditions

from imdb_assets.automation.monitoring_sensors import new_prediction_log_files
from imdb_assets.instance import local_instance
from imdb_assets.partitions import register_snapshot_dates
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.automation_helpers import automation_definitions
from imdb_assets_tests.monitoring_helpers import clear_log, requests_from, serve_into_log, training_rows

MONITORING = {"prediction_drift", "live_model_performance"}


def test_new_log_files_then_new_snapshots_refresh_the_monitoring_assets(home_copy: Path):
    clear_log(home_copy)
    defs = automation_definitions()
    instance = local_instance(LocalPaths(home_copy).dagster_home)
    cursor = None

    def requested() -> set[str]:
        nonlocal cursor
        result = evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
        cursor = result.cursor
        return {r.key.to_user_string() for r in result.results if r.true_subset.size > 0}

    # No log yet: served_predictions was never materialized, so nothing of the monitoring group starts.
    assert not requested() & MONITORING

    serve_into_log(home_copy, requests_from(training_rows(home_copy).head(60)))
    tick = new_prediction_log_files(build_sensor_context(instance=instance))
    assert isinstance(tick, SensorResult) and len(tick.run_requests) == 1
    assert defs.resolve_job_def("served_predictions_job").execute_in_process(instance=instance).success
    assert requested() >= MONITORING
    assert defs.resolve_job_def("monitoring_job").execute_in_process(instance=instance).success
    assert not requested() & MONITORING  # handled: a repeat tick does not refresh again

    # A new ratings snapshot (reported as the warehouse sensor reports loads made outside Dagster).
    register_snapshot_dates(instance, ["2026-11-02"])
    instance.report_runless_asset_event(AssetMaterialization(asset_key=AssetKey("raw_title_ratings"), partition="2026-11-02"))
    assert requested() & MONITORING == {"live_model_performance"}
