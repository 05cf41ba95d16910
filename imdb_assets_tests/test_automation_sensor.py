"""`new_warehouse_partitions`: ticks against a real DuckDB warehouse filled by `imdb-assets ingest`."""

from __future__ import annotations

import json
import time
from datetime import timezone
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, AssetMaterialization, DagsterInstance, SensorResult, SkipReason, build_sensor_context

from imdb_assets.automation.sensors import (
    LOADED_AT_TAG,
    build_new_warehouse_partitions_sensor,
    new_warehouse_partitions,
)
from imdb_assets.resources.warehouse import DuckDBWarehouse
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.automation_helpers import WriterHoldingWarehouse, ingest, small_snapshot

D1, D2, D3 = "2026-11-01", "2026-11-02", "2026-11-03"


@pytest.fixture
def warehouse(imdb_home: Path) -> DuckDBWarehouse:
    return DuckDBWarehouse(path=str(LocalPaths(imdb_home).warehouse))


@pytest.fixture
def instance() -> DagsterInstance:
    return DagsterInstance.ephemeral()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return small_snapshot(tmp_path / "snapshot")


class Tick:
    """One sensor evaluation, normalised: the run requests, the new cursor and the skip message."""

    def __init__(self, result: SensorResult | SkipReason, previous_cursor: str | None):
        if isinstance(result, SkipReason):
            self.run_requests, self.cursor, self.skip, self.asset_events = [], previous_cursor, result.skip_message, []
            self.added_partitions = []
        else:
            self.run_requests = list(result.run_requests or [])
            self.cursor = result.cursor
            self.skip = result.skip_reason.skip_message if result.skip_reason else None
            self.asset_events = list(result.asset_events or [])
            self.added_partitions = [
                key for request in result.dynamic_partitions_requests or [] for key in request.partition_keys
            ]

    @property
    def partitions(self) -> list[str]:
        return [r.partition_key for r in self.run_requests]

    @property
    def run_keys(self) -> dict[str, str]:
        return {r.partition_key: r.run_key for r in self.run_requests}


def tick(
    warehouse: DuckDBWarehouse, instance: DagsterInstance, cursor: str | None = None, sensor=new_warehouse_partitions
) -> Tick:
    context = build_sensor_context(instance=instance, cursor=cursor, resources={"warehouse": warehouse})
    return Tick(sensor(context), cursor)


def loaded_at(warehouse: DuckDBWarehouse, snapshot_date: str) -> str:
    with duckdb.connect(warehouse.path, read_only=True) as con:
        value = con.execute(
            "SELECT max(loaded_at) FROM raw.partition_loads WHERE snapshot_date = ?", [snapshot_date]
        ).fetchone()[0]
    return value.astimezone(timezone.utc).isoformat()


def test_first_tick_requests_every_loaded_snapshot(warehouse, instance, source):
    empty = tick(warehouse, instance)
    assert empty.run_requests == [] and "no new" in empty.skip

    ingest(source, D1)
    ingest(source, D2)
    first = tick(warehouse, instance)
    assert first.partitions == [D1, D2]
    # Loaded dates become snapshot partitions in the same tick that requests their runs.
    assert first.added_partitions == [D1, D2]
    assert first.run_keys == {D1: f"{D1}@{loaded_at(warehouse, D1)}", D2: f"{D2}@{loaded_at(warehouse, D2)}"}
    assert [r.tags[LOADED_AT_TAG] for r in first.run_requests] == [loaded_at(warehouse, D1), loaded_at(warehouse, D2)]
    assert json.loads(first.cursor) == {
        "version": 1,
        "handled": {D1: loaded_at(warehouse, D1), D2: loaded_at(warehouse, D2)},
    }
    # The raw load, done outside Dagster, is recorded on the raw assets' partitions with its row count.
    reported = {
        (e.asset_key.to_user_string(), e.partition): e.metadata["dagster/row_count"].value for e in first.asset_events
    }
    assert reported == {
        ("raw_title_basics", D1): 3,
        ("raw_title_ratings", D1): 3,
        ("raw_title_basics", D2): 3,
        ("raw_title_ratings", D2): 3,
    }


def test_repeat_tick_with_nothing_new_requests_nothing(warehouse, instance, source):
    ingest(source, D1)
    first = tick(warehouse, instance)
    again = tick(warehouse, instance, first.cursor)
    assert again.run_requests == [] and again.asset_events == []
    assert again.skip == "no new or re-loaded snapshot in the warehouse"
    assert again.cursor == first.cursor


def test_new_partition_is_the_only_one_requested(warehouse, instance, source):
    ingest(source, D1)
    first = tick(warehouse, instance)
    ingest(source, D2)
    second = tick(warehouse, instance, first.cursor)
    assert second.partitions == [D2]
    assert set(json.loads(second.cursor)["handled"]) == {D1, D2}


def test_reloaded_partition_is_requested_again_with_a_new_run_key(warehouse, instance, source, tmp_path):
    ingest(source, D1)
    first = tick(warehouse, instance)
    ingest(small_snapshot(tmp_path / "corrected", version=2), D1)
    reload = tick(warehouse, instance, first.cursor)
    assert reload.partitions == [D1]
    assert reload.run_keys[D1] == f"{D1}@{loaded_at(warehouse, D1)}" != first.run_keys[D1]
    assert tick(warehouse, instance, reload.cursor).run_requests == []


def test_busy_warehouse_skips_the_tick_and_loses_nothing(warehouse, instance, source):
    ingest(source, D1)
    with WriterHoldingWarehouse(Path(warehouse.path)):
        started = time.monotonic()
        busy = tick(warehouse, instance)
        elapsed = time.monotonic() - started
    assert busy.run_requests == []
    assert busy.skip.startswith("warehouse busy") and warehouse.path in busy.skip
    assert elapsed < 10, f"a busy tick took {elapsed:.1f}s"
    assert busy.cursor is None  # unchanged: the next tick still sees D1 as new
    assert tick(warehouse, instance, busy.cursor).partitions == [D1]


def test_work_per_tick_is_bounded(warehouse, instance, source):
    for snapshot_date in (D1, D2, D3):
        ingest(source, snapshot_date)
    sensor = build_new_warehouse_partitions_sensor(name="bounded_sensor", max_partitions_per_tick=2)
    first = tick(warehouse, instance, sensor=sensor)
    second = tick(warehouse, instance, first.cursor, sensor=sensor)
    third = tick(warehouse, instance, second.cursor, sensor=sensor)
    assert (first.partitions, second.partitions, third.partitions) == ([D1, D2], [D3], [])


def test_dates_built_after_their_load_are_not_rebuilt(warehouse, instance, source, tmp_path):
    ingest(source, D1)
    ingest(source, D2)
    # D1's dbt partition was built (e.g. by `imdb-assets run`) after the load: nothing to do for it.
    instance.report_runless_asset_event(AssetMaterialization(AssetKey("filtered_movies_incremental"), partition=D1))
    first = tick(warehouse, instance)
    assert first.partitions == [D2]
    assert set(json.loads(first.cursor)["handled"]) == {D1, D2}
    # A reload after that build makes D1 stale again.
    ingest(small_snapshot(tmp_path / "corrected", version=2), D1)
    assert tick(warehouse, instance, first.cursor).partitions == [D1]


def test_partial_and_future_dates_are_not_requested(warehouse, instance, source):
    from datetime import timedelta

    from imdb_assets.ingest.load import ingest_snapshot
    from imdb_assets.partitions import today_utc

    ingest(source, D1)
    # A loader that bypasses the CLI's date check, and one that has written one table of D2 so far.
    ingest_snapshot(str(source), today_utc() + timedelta(days=3), warehouse)
    with duckdb.connect(warehouse.path) as con:
        con.execute("INSERT INTO raw.partition_loads VALUES ('title_basics', ?, 3, 'sha', now())", [D2])
    first = tick(warehouse, instance)
    assert first.partitions == [D1]
    assert first.added_partitions == [D1]  # neither the partial nor the future date is a partition
    assert set(json.loads(first.cursor)["handled"]) == {D1}
    ingest(source, D2)  # now every table holds D2
    assert tick(warehouse, instance, first.cursor).partitions == [D2]


def test_unreadable_cursor_starts_over_without_rebuilding(warehouse, instance, source):
    ingest(source, D1)
    assert tick(warehouse, instance, cursor="not json").partitions == [D1]


def test_ingest_and_run_refuse_a_future_date_in_one_line(imdb_home, source, capsys):
    from imdb_assets.cli import main
    from imdb_assets.partitions import today_utc

    for command in ("ingest", "run"):
        assert main([command, "--source", str(source), "--snapshot-date", "2099-01-01"]) == 1
        error = capsys.readouterr().err.strip()
        assert error == (
            f"imdb-assets {command}: error: snapshot date 2099-01-01 is in the future (today is {today_utc().isoformat()}, UTC)"
        )
    assert not LocalPaths(imdb_home).warehouse.exists()
