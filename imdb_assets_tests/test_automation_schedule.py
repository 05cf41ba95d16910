"""The optional daily ingest schedule, the sensors' defaults, and their tick settings."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    build_schedule_context,
    instance_for_test,
    build_sensor_context,
)

from imdb_assets.partitions import register_snapshot_dates
from imdb_assets.automation.definitions import SCHEDULES, SENSORS
from imdb_assets.automation.schedules import daily_imdb_ingest
from imdb_assets.automation.sensors import new_warehouse_partitions
from imdb_assets.automation.tick_settings import SENSOR_INTERVAL_ENV, sensor_interval_seconds
from imdb_assets.resources.warehouse import DuckDBWarehouse
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.automation_helpers import automation_definitions, small_snapshot


def test_schedule_is_off_by_default_and_sensors_are_on():
    assert [s.name for s in SCHEDULES] == ["daily_imdb_ingest", "daily_garbage_collection"]
    assert daily_imdb_ingest.default_status == DefaultScheduleStatus.STOPPED
    assert SCHEDULES[1].default_status == DefaultScheduleStatus.RUNNING  # a deployment collects by itself
    assert {s.name: s.default_status for s in SENSORS} == {
        "new_warehouse_partitions": DefaultSensorStatus.RUNNING,
        "refresh_downstream": DefaultSensorStatus.RUNNING,
        "new_prediction_log_files": DefaultSensorStatus.RUNNING,
        "retrain_on_monitoring_alert": DefaultSensorStatus.STOPPED,  # the retraining signal is off by default
    }


def test_schedule_requests_the_partition_of_its_day():
    with instance_for_test() as instance:  # a schedule context needs an instance with a ref
        context = build_schedule_context(
            instance=instance, scheduled_execution_time=datetime(2026, 11, 3, 6, 0, tzinfo=timezone.utc)
        )
        request = daily_imdb_ingest(context)
        assert (request.partition_key, request.run_key) == ("2026-11-03", "daily-ingest-2026-11-03")
        # The day became a snapshot partition before its run was requested (a second tick adds nothing).
        assert instance.get_dynamic_partitions("snapshot_dates") == ["2026-11-03"]
        daily_imdb_ingest(context)
        assert instance.get_dynamic_partitions("snapshot_dates") == ["2026-11-03"]


def test_scheduled_ingest_loads_raw_only_and_the_sensor_builds_dbt_next(imdb_home: Path, tmp_path: Path):
    source = small_snapshot(tmp_path / "imdb")
    defs = automation_definitions(source=str(source))
    instance = DagsterInstance.ephemeral()
    register_snapshot_dates(instance, ["2026-11-03"])
    result = defs.resolve_job_def("raw_ingest_job").execute_in_process(instance=instance, partition_key="2026-11-03")
    assert result.success
    warehouse = LocalPaths(imdb_home).warehouse
    with duckdb.connect(str(warehouse), read_only=True) as con:
        loaded = con.execute(
            "SELECT strftime(snapshot_date, '%Y-%m-%d'), count(*) FROM raw.title_basics GROUP BY 1"
        ).fetchall()
        dbt_tables = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'filtered_movies_incremental'"
        ).fetchone()[0]
    assert loaded == [("2026-11-03", 3)] and dbt_tables == 0

    context = build_sensor_context(instance=instance, resources={"warehouse": DuckDBWarehouse(path=str(warehouse))})
    tick = new_warehouse_partitions(context)
    assert [r.partition_key for r in tick.run_requests] == ["2026-11-03"]
    # The run already recorded the raw materializations: the sensor does not report them twice.
    assert list(tick.asset_events or []) == []
    assert "2026-11-03" in json.loads(tick.cursor)["handled"]
    assert len(instance.fetch_materializations(AssetKey("raw_title_basics"), limit=10).records) == 1


def test_tick_interval_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(SENSOR_INTERVAL_ENV, "3")
    assert sensor_interval_seconds() == 3
    monkeypatch.delenv(SENSOR_INTERVAL_ENV)
    assert sensor_interval_seconds() == 30
    monkeypatch.setenv(SENSOR_INTERVAL_ENV, "soon")
    with pytest.raises(ValueError, match=f"{SENSOR_INTERVAL_ENV}='soon' is not a whole number of seconds"):
        sensor_interval_seconds()
