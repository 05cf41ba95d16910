"""`raw_snapshot_retention`: drop the raw snapshot dates the dbt model has absorbed, keeping the newest K."""

from collections import defaultdict
from datetime import date, datetime, timezone

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetObservation,
    AssetRecordsFilter,
    DagsterInstance,
    DataVersion,
    MaterializeResult,
    MetadataValue,
    asset,
)

from imdb_assets.code_versions import source_code_version
from imdb_assets.contracts.raw_imdb import RAW_FILES
from imdb_assets.ingest.assets import raw_asset_key
from imdb_assets.ingest.retention import plan_retention, rows_text
from imdb_assets.resources.warehouse import PartitionInfo, Warehouse, raw_table_name

# The dbt model whose partitions absorb the raw dates (named, not imported: ingest sits before transform).
ABSORBING_MODEL = AssetKey("filtered_movies_incremental")
RETENTION_SOURCES = ("ingest/retention.py", "ingest/retention_asset.py")


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)


def complete_dates(partitions: list[PartitionInfo]) -> dict[date, datetime]:
    """Dates every raw table holds -> the latest load among them (a date held by some tables only is
    being loaded and never dropped)."""
    tables = {raw_table_name(f) for f in RAW_FILES}
    by_date: dict[date, dict[str, datetime]] = defaultdict(dict)
    for partition in partitions:
        if partition.table in tables:
            by_date[partition.snapshot_date][partition.table] = partition.last_modified
    return {d: max(loads.values()) for d, loads in by_date.items() if set(loads) == tables}


def absorbed_by_dbt(instance: DagsterInstance, snapshot_date: date, loaded_at: datetime) -> bool:
    """The dbt model's partition of this date was built from its latest load: by a run that started
    after the load committed, or by the run that made the load (raw and dbt in one run)."""
    key = snapshot_date.isoformat()
    records = instance.fetch_materializations(AssetRecordsFilter(asset_key=ABSORBING_MODEL, asset_partitions=[key]), limit=1).records
    if not records:
        return False
    record = records[0]
    run = instance.get_run_record_by_id(record.run_id) if record.run_id else None
    started = _utc(run.start_time) if run is not None and run.start_time is not None else _utc(record.timestamp)
    if started >= loaded_at:
        return True
    for file_name in RAW_FILES:  # same run as the load, and it reported the load after committing it
        raw = instance.fetch_materializations(
            AssetRecordsFilter(asset_key=AssetKey(raw_asset_key(file_name)), asset_partitions=[key]), limit=1
        ).records
        if not raw or raw[0].run_id != record.run_id or _utc(raw[0].timestamp) < loaded_at:
            return False
    return True


@asset(
    deps=[ABSORBING_MODEL],
    group_name="ingest",
    kinds={"duckdb"},
    code_version=source_code_version(*RETENTION_SOURCES),
)
def raw_snapshot_retention(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    """Keep the raw tables' newest K snapshot dates (`IMDB_ASSETS_RAW_SNAPSHOTS_KEPT`, default 7) and
    drop older dates once the dbt model has absorbed them, in one warehouse transaction; never the newest
    date, never one whose dbt partition is not built from its latest load. Idempotent: a rerun drops
    nothing more. Runs after every dbt build (in `imdb-assets run`, the sensor's dbt runs and automation).
    The dropped dates stay partitions (their rows live on in the dbt model, their loads are the lineage of
    dataset versions); each gets a "dropped by retention" observation on the raw assets, and a later load or
    dbt build of one fails saying so. Metadata: dates kept, dropped (rows), and held back for dbt."""
    snapshots_kept = warehouse.snapshots_kept()
    loaded = complete_dates(warehouse.list_partitions())
    absorbed = [d for d, loaded_at in loaded.items() if absorbed_by_dbt(context.instance, d, loaded_at)]
    plan = plan_retention(loaded, absorbed, snapshots_kept)
    dropped = warehouse.drop_snapshots(plan.drop)
    rows_by_date: dict[date, dict[str, int]] = defaultdict(dict)
    for drop in dropped:
        rows_by_date[drop.snapshot_date][drop.table] = drop.rows
    for file_name in RAW_FILES:
        table = raw_table_name(file_name)
        for snapshot_date, rows in sorted(rows_by_date.items()):
            if table in rows:
                context.log_event(
                    AssetObservation(
                        asset_key=raw_asset_key(file_name),
                        partition=snapshot_date.isoformat(),
                        description=f"Dropped by retention ({rows_text(rows[table])} rows); its rows are in the dbt model.",
                        metadata={"dropped_by_retention": True, "rows_dropped": rows[table]},
                    )
                )
    lines = [f"dropped {d.isoformat()}, {rows_text(sum(rows.values()))} rows" for d, rows in sorted(rows_by_date.items())]
    for line in lines:
        context.log.info(line)
    table = ["| snapshot date | " + " | ".join(raw_table_name(f) for f in RAW_FILES) + " |", "|---|" + "---:|" * len(RAW_FILES)]
    table += [
        f"| {d.isoformat()} | " + " | ".join(rows_text(rows.get(raw_table_name(f), 0)) for f in RAW_FILES) + " |"
        for d, rows in sorted(rows_by_date.items())
    ]
    kept = sorted(plan.kept)
    return MaterializeResult(
        # The kept window is what this asset's state is: the same window twice is the same version.
        data_version=DataVersion(",".join(d.isoformat() for d in kept) or "empty"),
        metadata={
            "raw_snapshots_kept": snapshots_kept,
            "kept_dates": MetadataValue.json([d.isoformat() for d in kept]),
            "oldest_kept": kept[0].isoformat() if kept else "",
            "dropped": "; ".join(lines) or "nothing to drop",
            "dropped_rows": sum(sum(rows.values()) for rows in rows_by_date.values()),
            "dropped_table": MetadataValue.md("\n".join(table) if rows_by_date else "nothing dropped in this run"),
            "waiting_for_dbt": MetadataValue.json([d.isoformat() for d in plan.waiting_for_dbt]),
        },
    )
