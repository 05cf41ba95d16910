"""Sensors: notice new or re-loaded warehouse partitions, and refresh what depends on them.

`new_warehouse_partitions` polls the warehouse (not Dagster) because raw snapshots are written by a
loader outside Dagster (`imdb-assets ingest` here, a BigQuery load upstream in production). For each
snapshot date that is new or was re-loaded since the last tick it requests one run of `dbt_snapshot_job`
for that partition, and records the raw tables' load as a runless materialization so the asset graph
shows where the data came from. `refresh_downstream` evaluates the automation conditions of the assets
below the dbt models (see conditions.py), which refresh them once the dbt partition has landed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from dagster import (
    AssetKey,
    AssetMaterialization,
    AssetRecordsFilter,
    AutomationConditionSensorDefinition,
    DagsterInstance,
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from imdb_assets.automation.conditions import DOWNSTREAM_OF_DBT
from imdb_assets.automation.jobs import dbt_snapshot_job
from imdb_assets.automation.loaded_snapshots import HandledSnapshots, LoadedSnapshot, group_by_snapshot
from imdb_assets.automation.tick_settings import (
    MAX_PARTITIONS_PER_TICK,
    WAREHOUSE_BUSY_TIMEOUT_SECONDS,
    automation_interval_seconds,
    sensor_interval_seconds,
)
from imdb_assets.contracts.raw_imdb import RAW_FILES
from imdb_assets.ingest.assets import raw_asset_key
from imdb_assets.partitions import missing_snapshot_keys, snapshot_partitions, today_utc
from imdb_assets.resources.warehouse import Warehouse, WarehouseBusyError, raw_table_name
from imdb_assets.transform.assets import imdb_dbt_models

RAW_ASSET_BY_TABLE = {raw_table_name(name): AssetKey(raw_asset_key(name)) for name in RAW_FILES}
DBT_MODEL_KEYS = sorted(imdb_dbt_models.keys, key=lambda key: key.to_user_string())
LOADED_AT_TAG = "imdb_assets/raw_loaded_at"


def _latest_record(instance: DagsterInstance, key: AssetKey, partition_key: str):
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=key, asset_partitions=[partition_key]), limit=1
    ).records
    return records[0] if records else None


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)


def _latest_materialization_time(instance: DagsterInstance, key: AssetKey, partition_key: str) -> datetime | None:
    record = _latest_record(instance, key, partition_key)
    return _utc(record.timestamp) if record is not None else None


def _loaded_by_run(instance: DagsterInstance, snapshot: LoadedSnapshot, run_id: str) -> bool:
    """The newest load of every raw table of this date was made by `run_id` itself (`imdb-assets run`,
    or a run of the UI that selected raw and dbt together): its raw step reported after the commit."""
    for table, modified in snapshot.modified_by_table.items():
        raw = _latest_record(instance, RAW_ASSET_BY_TABLE[table], snapshot.partition_key)
        if raw is None or raw.run_id != run_id or _utc(raw.timestamp) < modified:
            return False
    return True


def _built_after_load(instance: DagsterInstance, snapshot: LoadedSnapshot) -> bool:
    """Every dbt model of this date was built from the raw tables' newest load, whoever built it.

    Built means: by a run that started after the load committed, or by the run that made the load
    itself (raw and dbt in one run, as `imdb-assets run` does). The run's start, not the
    materialization time, is compared for other runs: a run that started before a reload may have read
    the old rows (BigQuery queries read a snapshot taken when they start).
    """
    for key in DBT_MODEL_KEYS:
        record = _latest_record(instance, key, snapshot.partition_key)
        if record is None:
            return False
        run = instance.get_run_record_by_id(record.run_id) if record.run_id else None
        started = _utc(run.start_time) if run is not None and run.start_time is not None else _utc(record.timestamp)
        if started >= snapshot.last_modified:
            continue
        if not (record.run_id and _loaded_by_run(instance, snapshot, record.run_id)):
            return False
    return True


def _raw_load_events(instance: DagsterInstance, snapshot: LoadedSnapshot) -> list[AssetMaterialization]:
    """Runless materializations for raw tables loaded outside Dagster (skipped if a Dagster run loaded them)."""
    events = []
    for table, modified in snapshot.modified_by_table.items():
        key = RAW_ASSET_BY_TABLE[table]
        seen = _latest_materialization_time(instance, key, snapshot.partition_key)
        if seen is not None and seen >= modified:
            continue
        events.append(
            AssetMaterialization(
                asset_key=key,
                partition=snapshot.partition_key,
                description="Loaded into the warehouse outside Dagster; reported by the new_warehouse_partitions sensor.",
                metadata={
                    "dagster/row_count": snapshot.rows_by_table[table],
                    "loaded_at": modified.isoformat(),
                    "snapshot_date": snapshot.partition_key,
                },
            )
        )
    return events


def _not_in_future(snapshots: Iterable[LoadedSnapshot]) -> tuple[list[LoadedSnapshot], list[LoadedSnapshot]]:
    inside, outside = [], []
    for snapshot in snapshots:
        (inside if snapshot.snapshot_date <= today_utc() else outside).append(snapshot)
    return inside, outside


def build_new_warehouse_partitions_sensor(
    name: str = "new_warehouse_partitions",
    max_partitions_per_tick: int = MAX_PARTITIONS_PER_TICK,
    busy_timeout_seconds: float = WAREHOUSE_BUSY_TIMEOUT_SECONDS,
    minimum_interval_seconds: int | None = None,
) -> SensorDefinition:
    """The warehouse-partition sensor; the arguments exist so tests can use small bounds."""

    @sensor(
        name=name,
        job=dbt_snapshot_job,
        minimum_interval_seconds=minimum_interval_seconds or sensor_interval_seconds(),
        default_status=DefaultSensorStatus.RUNNING,
        description="Requests a dbt_snapshot_job run for each snapshot date that is new or re-loaded in the "
        f"warehouse's raw tables (at most {max_partitions_per_tick} per tick; skips while the warehouse is busy).",
    )
    def new_warehouse_partitions(context: SensorEvaluationContext, warehouse: Warehouse) -> SensorResult | SkipReason:
        try:
            listed = warehouse.list_partitions(busy_timeout_seconds=busy_timeout_seconds)
        except WarehouseBusyError as exc:
            # A run is writing (DuckDB has one writer): not an error, the next tick will see the result.
            return SkipReason(f"warehouse busy, retrying next tick: {exc}")
        snapshots, partial_dates = group_by_snapshot(listed, RAW_ASSET_BY_TABLE.keys())
        if partial_dates:
            context.log.info(f"waiting for every raw table to hold {', '.join(d.isoformat() for d in partial_dates)}")

        try:
            handled = HandledSnapshots.from_cursor(context.cursor)
        except ValueError as exc:
            # Safe to start over: built dates are recognised from the instance and run keys stay unique.
            context.log.warning(f"{exc}; starting from an empty cursor")
            handled = HandledSnapshots()

        loaded, future = _not_in_future(snapshots)
        for snapshot in future:
            context.log.warning(f"raw snapshot {snapshot.partition_key} is dated in the future (UTC); not building it")
        # Every loaded date becomes a partition (also those built already), so the UI lists what exists.
        new_keys = missing_snapshot_keys(context.instance, (s.partition_key for s in loaded))
        partition_requests = [snapshot_partitions.build_add_request(new_keys)] if new_keys else []
        changed = [s for s in loaded if not handled.is_handled(s)]
        this_tick, later = changed[:max_partitions_per_tick], changed[max_partitions_per_tick:]

        run_requests, raw_events, already_built = [], [], []
        for snapshot in this_tick:
            if _built_after_load(context.instance, snapshot):
                already_built.append(snapshot.partition_key)
                continue
            run_requests.append(
                RunRequest(
                    run_key=snapshot.run_key,
                    partition_key=snapshot.partition_key,
                    tags={LOADED_AT_TAG: snapshot.modified_key},
                )
            )
            raw_events.extend(_raw_load_events(context.instance, snapshot))

        cursor = handled.with_handled(this_tick).to_cursor()
        summary = (
            f"{len(run_requests)} partition(s) to build, {len(already_built)} already built since their load, "
            f"{len(later)} left for the next tick"
        )
        context.log.info(summary + (f" (already built: {', '.join(already_built)})" if already_built else ""))
        if not run_requests:
            return SensorResult(
                cursor=cursor,
                asset_events=raw_events,
                dynamic_partitions_requests=partition_requests,
                skip_reason=SkipReason("no new or re-loaded snapshot in the warehouse" if not this_tick else summary),
            )
        return SensorResult(
            run_requests=run_requests,
            cursor=cursor,
            asset_events=raw_events,
            dynamic_partitions_requests=partition_requests,
        )

    return new_warehouse_partitions


new_warehouse_partitions = build_new_warehouse_partitions_sensor()

refresh_downstream = AutomationConditionSensorDefinition(
    "refresh_downstream",
    target=DOWNSTREAM_OF_DBT,
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=automation_interval_seconds(),
    # Plain runs, not backfills: the refreshed assets are unpartitioned, one run covers them all.
    emit_backfills=False,
    description="Evaluates the automation conditions of everything below the dbt models "
    "(eager after blocking checks passed): refreshes the CSV, dataset, features and model after new "
    "dbt partitions land.",
)
