"""Raw IMDb tables in the warehouse, one daily partition per snapshot date."""


from datetime import date

from dagster import (
    AssetExecutionContext,
    AssetSpec,
    BackfillPolicy,
    DataVersion,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableColumnConstraints,
    TableSchema,
    multi_asset,
)

from imdb_assets.code_versions import RAW_TABLES_SOURCES, source_code_version
from imdb_assets.contracts.raw_imdb import RAW_FILES
from imdb_assets.contracts.sql_checks import column_types
from imdb_assets.fault_injection import crash_point
from imdb_assets.ingest.load import ingest_snapshot
from imdb_assets.ingest.source import ImdbSource
from imdb_assets.partitions import snapshot_partitions
from imdb_assets.resources.warehouse import Warehouse, raw_table_name


def raw_asset_key(file_name: str) -> str:
    return f"raw_{raw_table_name(file_name)}"


def raw_column_schema(file_name: str) -> TableSchema:
    """The raw table's columns as the UI's Columns tab shows them: the file's contract, typed as loaded,
    with the snapshot date the table is partitioned by in front."""
    contract = RAW_FILES[file_name]
    columns = [TableColumn("snapshot_date", "DATE", "The IMDb snapshot this row was loaded from (the partition).", TableColumnConstraints(nullable=False))]
    schema_columns = contract.to_schema().columns
    for name, sql_type in column_types(contract).items():
        column = schema_columns[name]
        rules = [str(check.error) for check in column.checks if check.error]
        columns.append(
            TableColumn(
                name,
                sql_type,
                column.description or f"IMDb's `{name}` column of `{file_name}`.",
                TableColumnConstraints(nullable=column.nullable, unique=column.unique, other=rules),
            )
        )
    return TableSchema(columns=columns)


@multi_asset(
    specs=[
        AssetSpec(
            raw_asset_key(file_name),
            group_name="ingest",
            description=f"IMDb's `{file_name}`, one partition per snapshot date, in the warehouse table "
            f"`raw.{raw_table_name(file_name)}`.",
            kinds={"duckdb"},
            metadata={"dagster/column_schema": raw_column_schema(file_name)},
            code_version=source_code_version(*RAW_TABLES_SOURCES),
        )
        for file_name in RAW_FILES
    ],
    partitions_def=snapshot_partitions,
    # One source folder holds one snapshot: each date is its own load.
    backfill_policy=BackfillPolicy.multi_run(max_partitions_per_run=1),
    can_subset=False,
)
def raw_imdb_tables(context: AssetExecutionContext, imdb_source: ImdbSource, warehouse: Warehouse):
    """Load one IMDb snapshot: both files are validated against their contracts before any write, then
    the snapshot date is replaced in both raw tables in one transaction (reloading a date replaces it).
    Metadata: rows loaded, the source file and its sha256, and the seconds spent reading, checking, loading."""
    snapshot_date = date.fromisoformat(context.partition_key)
    result = ingest_snapshot(imdb_source.location, snapshot_date, warehouse, imdb_source.download_dir())
    crash_point("ingest.loaded")
    for file_name, checked in result.files.items():
        yield MaterializeResult(
            asset_key=raw_asset_key(file_name),
            data_version=DataVersion(checked.source_sha256[:16]),
            metadata={
                "dagster/row_count": result.rows_loaded[file_name],
                "snapshot_date": snapshot_date.isoformat(),
                "source": MetadataValue.url(checked.source_uri) if checked.source_uri.startswith("http") else MetadataValue.path(checked.source_uri),
                "source_sha256": checked.source_sha256,
                "table": f"raw.{raw_table_name(file_name)}",
                # Where an ingest spends its time, per file; the load is both files in one transaction.
                "read_seconds": checked.read_seconds,
                "check_seconds": checked.check_seconds,
                "load_seconds": result.load_seconds,
            },
        )
