"""The production warehouse: BigQuery, through dagster-gcp's `BigQueryResource`.

Raw IMDb tables live in the `raw` dataset, partitioned by `snapshot_date` (one partition per snapshot),
so the sensor can list what was loaded from BigQuery's own `INFORMATION_SCHEMA.PARTITIONS` and a
reload scans and replaces one day only. The dbt model lives in the dbt target's dataset.
"""

from __future__ import annotations

import concurrent.futures
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa
import requests
from dagster_gcp import BigQueryResource
from google.api_core.exceptions import NotFound, RetryError
from google.cloud import bigquery as bq
from pydantic import Field

from imdb_assets.contracts.movies import movie_columns
from imdb_assets.contracts.raw_imdb import RAW_FILES
from imdb_assets.contracts.sql_checks import column_types
from imdb_assets.resources.warehouse import (
    FILTERED_MOVIES_TABLE,
    RAW_SCHEMA,
    DroppedSnapshot,
    PartitionInfo,
    Warehouse,
    WarehouseBusyError,
    raw_table_name,
)

# The contracts speak DuckDB types (ingestion validates with DuckDB); these are their BigQuery names.
_BIGQUERY_TYPES = {"VARCHAR": "STRING", "BIGINT": "INT64", "DOUBLE": "FLOAT64", "BOOLEAN": "BOOL", "DATE": "DATE"}
# Staging tables expire on their own if a run dies between the load and the clean-up.
_STAGING_TTL_HOURS = 24
# Every snapshot date retention dropped, so a later build of one says why it is gone.
DROPPED_TABLE = "dropped_snapshots"


def bigquery_columns(file_name: str) -> dict[str, str]:
    """Column -> BigQuery type of one raw IMDb file, in the contract's order."""
    return {name: _BIGQUERY_TYPES[duck] for name, duck in column_types(RAW_FILES[file_name]).items()}


def _ident(name: str) -> str:
    return f"`{name.replace('`', '')}`"


class BigQueryWarehouse(Warehouse):
    """BigQuery project `bigquery.project`: raw tables in dataset `raw`, dbt models in `dbt_dataset`."""

    bigquery: BigQueryResource
    dbt_dataset: str = Field(description="Dataset the dbt `prod` target writes its models to.")

    # -- names -----------------------------------------------------------------------------------
    def _project(self) -> str:
        if not self.bigquery.project:
            raise ValueError("BigQueryWarehouse needs bigquery.project (IMDB_ASSETS_GCP_PROJECT)")
        return self.bigquery.project

    def _table(self, dataset: str, table: str) -> str:
        return f"`{self._project()}.{dataset}.{table}`"

    def _qualified(self, table: str) -> str:
        """`raw.title_basics` or `filtered_movies_incremental` (a dbt model) -> a full table reference."""
        dataset, _, name = table.rpartition(".")
        if dataset in ("", "main"):  # `main` is DuckDB's default schema; in BigQuery: the dbt dataset
            dataset = self.dbt_dataset
        return self._table(dataset, name)

    # -- raw snapshots -----------------------------------------------------------------------------
    def _ensure_raw_tables(self, client: bq.Client) -> None:
        client.create_dataset(bq.Dataset(f"{self._project()}.{RAW_SCHEMA}"), exists_ok=True)
        for file_name in RAW_FILES:
            columns = ", ".join(f"{_ident(n)} {t}" for n, t in bigquery_columns(file_name).items())
            client.query(
                f"CREATE TABLE IF NOT EXISTS {self._table(RAW_SCHEMA, raw_table_name(file_name))} "
                f"(snapshot_date DATE NOT NULL, {columns}) PARTITION BY snapshot_date"
            ).result()

    def _ensure_dropped_table(self, client: bq.Client) -> None:
        client.query(
            f"CREATE TABLE IF NOT EXISTS {self._table(RAW_SCHEMA, DROPPED_TABLE)} "
            "(table_name STRING, snapshot_date DATE, `rows` INT64, dropped_at TIMESTAMP)"
        ).result()

    def drop_snapshots(self, snapshot_dates: Iterable[date]) -> list[DroppedSnapshot]:
        """Delete whole `snapshot_date` partitions of every raw table and record the drops, in one
        multi-statement transaction. A DELETE whose filter covers whole partitions is a metadata
        operation in BigQuery (no bytes scanned, no bill), and the partition then leaves
        INFORMATION_SCHEMA.PARTITIONS, so the sensor no longer lists it."""
        wanted = sorted(set(snapshot_dates))
        if not wanted:
            return []
        held = {(p.table, p.snapshot_date): p.rows for p in self.list_partitions()}
        dropping = [(raw_table_name(f), d) for f in RAW_FILES for d in wanted if (raw_table_name(f), d) in held]
        if not dropping:
            return []
        now = datetime.now(timezone.utc)
        with self.bigquery.get_client() as client:
            self._ensure_dropped_table(client)
            statements = ["BEGIN TRANSACTION;"]
            for table, day in dropping:
                # Literal dates, as in replace_snapshot: scripting binds no parameters on the emulator.
                statements.append(f"DELETE FROM {self._table(RAW_SCHEMA, table)} WHERE snapshot_date = DATE '{day.isoformat()}';")
                statements.append(
                    f"INSERT INTO {self._table(RAW_SCHEMA, DROPPED_TABLE)} (table_name, snapshot_date, `rows`, dropped_at) "
                    f"VALUES ('{table}', DATE '{day.isoformat()}', {int(held[(table, day)])}, TIMESTAMP '{now.isoformat()}');"
                )
            statements.append("COMMIT TRANSACTION;")
            client.query("\n".join(statements)).result()
        return [DroppedSnapshot(table, day, int(held[(table, day)]), now) for table, day in dropping]

    def dropped_snapshots(self) -> list[DroppedSnapshot]:
        with self.bigquery.get_client() as client:
            if not self._raw_dataset_exists(client):
                return []
            try:
                client.get_table(f"{self._project()}.{RAW_SCHEMA}.{DROPPED_TABLE}")
            except NotFound:
                return []
            rows = client.query(
                f"SELECT table_name, snapshot_date, `rows`, dropped_at FROM {self._table(RAW_SCHEMA, DROPPED_TABLE)} "
                "ORDER BY snapshot_date, table_name, dropped_at"
            ).result()
            # A date dropped, reloaded and dropped again has two lines: the latest drop is the one that holds.
            latest = {(r["table_name"], r["snapshot_date"]): r for r in rows}
        return [
            DroppedSnapshot(r["table_name"], r["snapshot_date"], int(r["rows"]), r["dropped_at"].astimezone(timezone.utc))
            for r in latest.values()
        ]

    def _stage_parquet(self, client: bq.Client, file_name: str, parquet_path: Path, suffix: str) -> str:
        """Load one Parquet file into a fresh staging table (explicit schema) and return its name."""
        staging = f"_staging_{raw_table_name(file_name)}_{suffix}"
        columns = ", ".join(f"{_ident(n)} {t}" for n, t in bigquery_columns(file_name).items())
        client.query(
            f"CREATE TABLE {self._table(RAW_SCHEMA, staging)} ({columns}) "
            f"OPTIONS (expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL {_STAGING_TTL_HOURS} HOUR))"
        ).result()
        with Path(parquet_path).open("rb") as handle:
            client.load_table_from_file(
                handle,
                f"{self._project()}.{RAW_SCHEMA}.{staging}",
                job_config=bq.LoadJobConfig(
                    source_format=bq.SourceFormat.PARQUET,
                    write_disposition=bq.WriteDisposition.WRITE_TRUNCATE,
                ),
            ).result()
        return staging

    def replace_snapshot(self, snapshot_date: date, parquet_by_file: Mapping[str, Path], source_sha256: Mapping[str, str]) -> dict[str, int]:
        """Stage every file, then swap the snapshot date in all raw tables in one multi-statement
        transaction: readers see the old snapshot or the new one in every table, never a mix."""
        day = snapshot_date.isoformat()
        suffix = f"{day.replace('-', '')}_{uuid.uuid4().hex[:8]}"
        with self.bigquery.get_client() as client:
            self._ensure_raw_tables(client)
            staged: dict[str, str] = {}
            try:
                for file_name, parquet_path in parquet_by_file.items():
                    staged[file_name] = self._stage_parquet(client, file_name, parquet_path, suffix)
                statements = ["BEGIN TRANSACTION;"]
                for file_name, staging in staged.items():
                    target = self._table(RAW_SCHEMA, raw_table_name(file_name))
                    columns = ", ".join(_ident(n) for n in bigquery_columns(file_name))
                    # A literal date: the emulator (and scripting in general) binds no parameters here,
                    # and an ISO date from `date.isoformat()` cannot carry SQL.
                    statements.append(f"DELETE FROM {target} WHERE snapshot_date = DATE '{day}';")
                    statements.append(
                        f"INSERT INTO {target} (snapshot_date, {columns}) "
                        f"SELECT DATE '{day}', {columns} FROM {self._table(RAW_SCHEMA, staging)};"
                    )
                statements.append("COMMIT TRANSACTION;")
                client.query("\n".join(statements)).result()
            finally:
                for staging in staged.values():
                    client.delete_table(f"{self._project()}.{RAW_SCHEMA}.{staging}", not_found_ok=True)
        return {file_name: self.count_rows(f"{RAW_SCHEMA}.{raw_table_name(file_name)}", snapshot_date) for file_name in parquet_by_file}

    def list_partitions(self, busy_timeout_seconds: float | None = None) -> list[PartitionInfo]:
        """Loaded snapshot dates per raw table, from BigQuery's partition metadata (what the sensor polls).

        `last_modified_time` is set by BigQuery when a DML statement commits to the partition, so a
        reload moves it forward. A query that does not finish within `busy_timeout_seconds` raises
        WarehouseBusyError, so a sensor tick never hangs on BigQuery."""
        tables = [raw_table_name(f) for f in RAW_FILES]
        query = (
            f"SELECT table_name, partition_id, total_rows, last_modified_time "
            f"FROM `{self._project()}.{RAW_SCHEMA}.INFORMATION_SCHEMA.PARTITIONS` "
            f"WHERE table_name IN UNNEST(@tables) "
            f"AND partition_id NOT IN ('__NULL__', '__UNPARTITIONED__') AND total_rows > 0 ORDER BY partition_id, table_name"
        )
        config = bq.QueryJobConfig(query_parameters=[bq.ArrayQueryParameter("tables", "STRING", tables)])
        # Without a budget the client retries for up to 10 minutes; with one, every call shares it.
        retry = bq.DEFAULT_RETRY if busy_timeout_seconds is None else bq.DEFAULT_RETRY.with_deadline(busy_timeout_seconds)
        try:
            with self.bigquery.get_client() as client:
                if not self._raw_dataset_exists(client, retry, busy_timeout_seconds):
                    return []
                job = client.query(query, job_config=config, retry=retry, timeout=busy_timeout_seconds, job_retry=None)
                rows = list(job.result(retry=retry, timeout=busy_timeout_seconds))
        except (concurrent.futures.TimeoutError, RetryError, requests.exceptions.ConnectionError) as exc:
            if busy_timeout_seconds is None:
                raise
            raise WarehouseBusyError(
                f"{self._project()}.{RAW_SCHEMA}.INFORMATION_SCHEMA.PARTITIONS: no answer within {busy_timeout_seconds} s ({type(exc).__name__})"
            ) from exc
        return [
            PartitionInfo(
                table=row["table_name"],
                snapshot_date=datetime.strptime(row["partition_id"], "%Y%m%d").date(),
                rows=int(row["total_rows"] or 0),
                last_modified=row["last_modified_time"].astimezone(timezone.utc),
            )
            for row in rows
        ]

    def _raw_dataset_exists(self, client: bq.Client, retry=bq.DEFAULT_RETRY, timeout: float | None = None) -> bool:
        try:
            client.get_dataset(f"{self._project()}.{RAW_SCHEMA}", retry=retry, timeout=timeout)
        except NotFound:
            return False
        return True

    def count_rows(self, table: str, snapshot_date: date | None = None) -> int:
        query = f"SELECT count(*) AS n FROM {self._qualified(table)}"
        params = []
        if snapshot_date is not None:
            query += " WHERE snapshot_date = @snapshot_date"
            params.append(bq.ScalarQueryParameter("snapshot_date", "DATE", snapshot_date))
        with self.bigquery.get_client() as client:
            row = next(iter(client.query(query, job_config=bq.QueryJobConfig(query_parameters=params)).result()))
        return int(row["n"])

    # -- the dbt model -----------------------------------------------------------------------------
    def read_filtered_movies_arrow(self) -> pa.Table:
        """Read over the REST API: the table is a few hundred thousand rows at most, which does not need
        the BigQuery Storage API (nor its extra client library)."""
        contract_columns = movie_columns()
        columns = [c for c in contract_columns if c != "last_modified"]
        query = (
            f"SELECT {', '.join(_ident(c) for c in columns)}, FORMAT_DATE('%Y-%m-%d', last_modified) AS last_modified "
            f"FROM {self._qualified(FILTERED_MOVIES_TABLE)} ORDER BY tconst"
        )
        with self.bigquery.get_client() as client:
            table = client.query(query).to_arrow(create_bqstorage_client=False)
        # BigQuery column names are case-insensitive and a result may come back in another case than
        # the contract's (`averagerating`): give the columns the contract's names.
        by_lower_name = {c.lower(): c for c in contract_columns}
        return table.rename_columns([by_lower_name.get(name.lower(), name) for name in table.column_names])

    def model_row_counts(self, table: str, window_start: date, window_end: date) -> dict[str, int]:
        query = (
            f"SELECT count(*) AS total, countif(last_modified >= @start AND last_modified < @end) AS merged "
            f"FROM {self._qualified(table)}"
        )
        config = bq.QueryJobConfig(
            query_parameters=[
                bq.ScalarQueryParameter("start", "DATE", window_start),
                bq.ScalarQueryParameter("end", "DATE", window_end),
            ]
        )
        with self.bigquery.get_client() as client:
            row = next(iter(client.query(query, job_config=config).result()))
        return {"dagster/row_count": int(row["total"]), "rows_merged_this_run": int(row["merged"])}

    def dbt_env(self) -> dict[str, str]:
        """What dbt_project/profiles.yml's `prod` output reads (the same names as the prod settings)."""
        env = {
            "IMDB_ASSETS_DBT_TARGET": "prod",
            "IMDB_ASSETS_GCP_PROJECT": self._project(),
            "IMDB_ASSETS_BQ_DATASET": self.dbt_dataset,
        }
        if self.bigquery.location:
            env["IMDB_ASSETS_BQ_LOCATION"] = self.bigquery.location
        return env
