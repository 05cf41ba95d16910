"""The warehouse: raw IMDb tables as daily-partitioned snapshots, and extraction of the filtered movies.

`Warehouse` is the interface the assets and the sensor use; `DuckDBWarehouse` is the local implementation
(one DuckDB file). The production implementation (BigQuery) fulfils the same methods.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
from dagster import ConfigurableResource

from imdb_assets import settings
from imdb_assets.contracts.movies import FilteredMovies
from imdb_assets.contracts.raw_imdb import RAW_FILES
from imdb_assets.contracts.sql_checks import column_types, contract_select, quote_ident, sql_literal
from imdb_assets.errors import DataError
from imdb_assets.scratch import scratch_dir

RAW_SCHEMA = "raw"
FILTERED_MOVIES_TABLE = "filtered_movies_incremental"


def raw_table_name(file_name: str) -> str:
    """`title.basics.tsv.gz` -> `title_basics`."""
    return file_name.removesuffix(".tsv.gz").replace(".", "_")


@dataclass(frozen=True)
class PartitionInfo:
    """One snapshot date of one raw table, as the warehouse reports it."""

    table: str  # raw table name without schema, e.g. `title_basics`
    snapshot_date: date
    rows: int
    last_modified: datetime  # timezone-aware (UTC): when this date of this table was last committed


@dataclass(frozen=True)
class DroppedSnapshot:
    """One snapshot date of one raw table that retention dropped (imdb_assets/ingest/retention.py)."""

    table: str
    snapshot_date: date
    rows: int
    dropped_at: datetime  # timezone-aware (UTC)


class WarehouseBusyError(RuntimeError):
    """Another process holds the warehouse's write lock."""


class Warehouse(ConfigurableResource):
    """What the pipeline needs from a warehouse, whatever the engine."""

    def replace_snapshot(self, snapshot_date: date, parquet_by_file: Mapping[str, Path], source_sha256: Mapping[str, str]) -> dict[str, int]:
        """Atomically replace one snapshot date of every raw table with the given Parquet files."""
        raise NotImplementedError

    def replace_snapshot_from(
        self,
        snapshot_date: date,
        source: duckdb.DuckDBPyConnection,
        query_by_file: Mapping[str, str],
        source_sha256: Mapping[str, str],
    ) -> dict[str, int]:
        """`replace_snapshot` from SELECT queries over a DuckDB connection holding the checked rows in
        the contracts' types. This default writes them to Parquet first, for warehouses that load files;
        a DuckDB warehouse inserts them directly."""
        with scratch_dir("imdb-parquet-") as folder:
            parquet_by_file: dict[str, Path] = {}
            for file_name, query in query_by_file.items():
                parquet_by_file[file_name] = Path(folder) / f"{raw_table_name(file_name)}.parquet"
                source.execute(
                    f"COPY ({query}) TO {sql_literal(str(parquet_by_file[file_name]))} (FORMAT parquet, COMPRESSION zstd)"
                )
            return self.replace_snapshot(snapshot_date, parquet_by_file, source_sha256)

    def list_partitions(self, busy_timeout_seconds: float | None = None) -> list[PartitionInfo]:
        """Every loaded partition of the raw tables, with its row count and last-modified time.

        Read-only; `[]` when nothing was ever loaded. This is what the `new_warehouse_partitions` sensor
        polls (DuckDB: `raw.partition_loads`; BigQuery: `INFORMATION_SCHEMA.PARTITIONS` of the raw
        tables). `last_modified` must be the commit time of the load (set while the data is written), so
        a reload always moves it forward. A sensor tick must not hang on a busy warehouse: when the
        warehouse cannot answer within `busy_timeout_seconds` (None: the resource's usual patience),
        raise `WarehouseBusyError`.
        """
        raise NotImplementedError

    # Raw snapshot retention: how many dates the raw tables keep; None reads IMDB_ASSETS_RAW_SNAPSHOTS_KEPT
    # (default 7). The drop rule itself (never the newest, never one dbt has not absorbed) is the
    # retention asset's, imdb_assets/ingest/retention.py; the warehouse only drops what it is told to.
    raw_snapshots_kept: int | None = None

    def snapshots_kept(self) -> int:
        if self.raw_snapshots_kept is None:
            return settings.raw_snapshots_kept()
        if self.raw_snapshots_kept < 1:
            raise ValueError(f"raw_snapshots_kept={self.raw_snapshots_kept} must be at least 1")
        return self.raw_snapshots_kept

    def drop_snapshots(self, snapshot_dates: Iterable[date]) -> list[DroppedSnapshot]:
        """Delete these snapshot dates from every raw table in one transaction and record each drop
        (`raw.dropped_snapshots`), so a later load or build of such a date can say why it is gone.
        Idempotent: a date no longer held drops nothing and records nothing."""
        raise NotImplementedError

    def dropped_snapshots(self) -> list[DroppedSnapshot]:
        """Every drop retention made, oldest date first; `[]` when none (or nothing loaded yet)."""
        raise NotImplementedError

    def require_kept(self, snapshot_dates: Iterable[date]) -> None:
        """Raise DataError (one line) when any of these dates was dropped by retention and not loaded again."""
        wanted = set(snapshot_dates)
        dropped = sorted({d.snapshot_date for d in self.dropped_snapshots() if d.snapshot_date in wanted})
        if not dropped:
            return
        loaded = {p.snapshot_date for p in self.list_partitions()}
        gone = [d for d in dropped if d not in loaded]
        if gone:
            shown = ", ".join(d.isoformat() for d in gone[:5]) + (f" and {len(gone) - 5} more" if len(gone) > 5 else "")
            raise DataError(
                f"snapshot {shown} was dropped from the raw tables by retention (the newest {self.snapshots_kept()} "
                "dates are kept, IMDB_ASSETS_RAW_SNAPSHOTS_KEPT); its rows are already in the dbt model"
            )

    def read_filtered_movies_arrow(self) -> pa.Table:
        """The whole dbt table, ordered by tconst, with exactly the contract's columns, in its order and
        types (`last_modified` as 'YYYY-MM-DD' text): Arrow, so validating and writing the CSV stay in
        DuckDB and never build a Python object per value."""
        raise NotImplementedError

    def read_filtered_movies(self) -> pd.DataFrame:
        """`read_filtered_movies_arrow` as pandas (nullable integers stay integers)."""
        return self.read_filtered_movies_arrow().to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)

    def count_rows(self, table: str, snapshot_date: date | None = None) -> int:
        raise NotImplementedError

    def model_row_counts(self, table: str, window_start: date, window_end: date) -> dict[str, int]:
        """Rows in a dbt model, and how many of them the run for [window_start, window_end) merged."""
        raise NotImplementedError

    def dbt_env(self) -> dict[str, str]:
        """Environment variables the dbt profile reads to reach this warehouse."""
        raise NotImplementedError


class DuckDBWarehouse(Warehouse):
    """A DuckDB file. DuckDB allows one writer at a time, so connections are short and retried."""

    path: str
    lock_timeout_seconds: float = 30.0

    def _with_lock_retry(self, open_database: Callable[[], duckdb.DuckDBPyConnection | None], timeout: float):
        """Call `open_database` until the file's lock is free (it raises IOException naming the lock
        while another process writes), backing off up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        delay = 0.05
        while True:
            try:
                return open_database()
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise
                if time.monotonic() >= deadline:
                    raise WarehouseBusyError(f"{self.path}: warehouse is locked by another process") from exc
                time.sleep(min(delay, max(deadline - time.monotonic(), 0.0)))
                delay = min(delay * 2, 1.0)

    @contextmanager
    def connect(self, read_only: bool = False, lock_timeout_seconds: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        if read_only and not Path(self.path).exists():
            raise FileNotFoundError(f"{self.path}: warehouse does not exist yet (ingest a snapshot first)")
        timeout = self.lock_timeout_seconds if lock_timeout_seconds is None else lock_timeout_seconds
        con = self._with_lock_retry(lambda: duckdb.connect(self.path, read_only=read_only), timeout)
        try:
            # No progress bar: DuckDB writes it to the process's stdout, under `run --json`'s JSON.
            con.execute("SET enable_progress_bar = false")
            yield con
        finally:
            con.close()

    def _ensure_raw_tables(self, con: duckdb.DuckDBPyConnection, catalog: str) -> None:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {catalog}.{RAW_SCHEMA}")
        for file_name, model in RAW_FILES.items():
            columns = ", ".join(f"{quote_ident(n)} {t}" for n, t in column_types(model).items())
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {catalog}.{RAW_SCHEMA}.{raw_table_name(file_name)} (snapshot_date DATE NOT NULL, {columns})"
            )
        # DuckDB has no partition metadata of its own: record each load (what BigQuery's
        # INFORMATION_SCHEMA.PARTITIONS gives in production).
        con.execute(
            f"""CREATE TABLE IF NOT EXISTS {catalog}.{RAW_SCHEMA}.partition_loads (
                table_name VARCHAR, snapshot_date DATE, rows BIGINT, source_sha256 VARCHAR,
                loaded_at TIMESTAMPTZ, PRIMARY KEY (table_name, snapshot_date))"""
        )
        con.execute(
            f"""CREATE TABLE IF NOT EXISTS {catalog}.{RAW_SCHEMA}.dropped_snapshots (
                table_name VARCHAR, snapshot_date DATE, rows BIGINT, dropped_at TIMESTAMPTZ,
                PRIMARY KEY (table_name, snapshot_date))"""
        )

    def replace_snapshot(self, snapshot_date, parquet_by_file, source_sha256):
        with duckdb.connect() as source:
            queries = {name: f"SELECT * FROM read_parquet({sql_literal(str(path))})" for name, path in parquet_by_file.items()}
            return self.replace_snapshot_from(snapshot_date, source, queries, source_sha256)

    def replace_snapshot_from(self, snapshot_date, source, query_by_file, source_sha256):
        """Insert straight from `source` (no Parquet in between): the warehouse file is attached to it
        only now, so its write lock is held for the load alone, not while the files are read and checked."""
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        catalog = "target_warehouse"
        source.execute("SET enable_progress_bar = false")
        # Raw rows have no meaningful order; keeping insertion order leaves part-filled row groups that
        # cost ~4x on insert and checkpoint at IMDb's full size (benchmarks/README.md).
        source.execute("SET preserve_insertion_order = false")
        self._with_lock_retry(lambda: source.execute(f"ATTACH {sql_literal(self.path)} AS {catalog}"), self.lock_timeout_seconds)
        loaded: dict[str, int] = {}
        try:
            # Taken once the write lock is held, so it is the commit order: a dbt run that starts after it
            # sees this data, which is what the sensor relies on to tell a reload from a built partition.
            now = datetime.now(timezone.utc)
            self._ensure_raw_tables(source, catalog)
            source.execute("BEGIN TRANSACTION")
            try:
                for file_name, query in query_by_file.items():
                    table = f"{catalog}.{RAW_SCHEMA}.{raw_table_name(file_name)}"
                    source.execute(f"DELETE FROM {table} WHERE snapshot_date = ?", [snapshot_date])
                    rows = source.execute(
                        f"INSERT INTO {table} BY NAME SELECT ?::DATE AS snapshot_date, * FROM ({query})", [snapshot_date]
                    ).fetchone()[0]
                    source.execute(
                        f"INSERT OR REPLACE INTO {catalog}.{RAW_SCHEMA}.partition_loads VALUES (?, ?, ?, ?, ?)",
                        [raw_table_name(file_name), snapshot_date, rows, source_sha256[file_name], now],
                    )
                    source.execute(
                        f"DELETE FROM {catalog}.{RAW_SCHEMA}.dropped_snapshots WHERE table_name = ? AND snapshot_date = ?",
                        [raw_table_name(file_name), snapshot_date],
                    )
                    loaded[file_name] = rows
                source.execute("COMMIT")
            except BaseException:
                source.execute("ROLLBACK")
                raise
        finally:
            source.execute(f"DETACH {catalog}")
        return loaded

    def list_partitions(self, busy_timeout_seconds: float | None = None) -> list[PartitionInfo]:
        if not Path(self.path).exists():
            return []
        with self.connect(read_only=True, lock_timeout_seconds=busy_timeout_seconds) as con:
            exists = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = 'partition_loads'",
                [RAW_SCHEMA],
            ).fetchone()[0]
            if not exists:
                return []
            rows = con.execute(
                f"SELECT table_name, snapshot_date, rows, loaded_at FROM {RAW_SCHEMA}.partition_loads ORDER BY snapshot_date, table_name"
            ).fetchall()
        return [PartitionInfo(t, d, n, m.astimezone(timezone.utc)) for t, d, n, m in rows]

    def drop_snapshots(self, snapshot_dates: Iterable[date]) -> list[DroppedSnapshot]:
        wanted = sorted(set(snapshot_dates))
        if not wanted or not Path(self.path).exists():
            return []
        dropped: list[DroppedSnapshot] = []
        with self.connect() as con:
            self._ensure_raw_tables(con, con.execute("SELECT current_database()").fetchone()[0])
            now = datetime.now(timezone.utc)
            con.execute("BEGIN TRANSACTION")
            try:
                for file_name in RAW_FILES:
                    table = raw_table_name(file_name)
                    for snapshot_date in wanted:
                        rows = con.execute(
                            f"DELETE FROM {RAW_SCHEMA}.{table} WHERE snapshot_date = ?", [snapshot_date]
                        ).fetchone()[0]
                        loaded = con.execute(
                            f"DELETE FROM {RAW_SCHEMA}.partition_loads WHERE table_name = ? AND snapshot_date = ?",
                            [table, snapshot_date],
                        ).fetchone()[0]
                        if rows or loaded:
                            con.execute(
                                f"INSERT OR REPLACE INTO {RAW_SCHEMA}.dropped_snapshots VALUES (?, ?, ?, ?)",
                                [table, snapshot_date, rows, now],
                            )
                            dropped.append(DroppedSnapshot(table, snapshot_date, rows, now))
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            if dropped:
                # Freed row groups become free blocks at a checkpoint; the next load writes into them, so
                # the file stops growing once it holds K snapshots (measured in benchmarks/bench_days.py).
                con.execute("CHECKPOINT")
        return dropped

    def dropped_snapshots(self) -> list[DroppedSnapshot]:
        if not Path(self.path).exists():
            return []
        with self.connect(read_only=True) as con:
            exists = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = 'dropped_snapshots'",
                [RAW_SCHEMA],
            ).fetchone()[0]
            if not exists:
                return []
            rows = con.execute(
                f"SELECT table_name, snapshot_date, rows, dropped_at FROM {RAW_SCHEMA}.dropped_snapshots ORDER BY snapshot_date, table_name"
            ).fetchall()
        return [DroppedSnapshot(t, d, n, m.astimezone(timezone.utc)) for t, d, n, m in rows]

    def count_rows(self, table: str, snapshot_date: date | None = None) -> int:
        with self.connect(read_only=True) as con:
            if snapshot_date is None:
                return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            return con.execute(f"SELECT count(*) FROM {table} WHERE snapshot_date = ?", [snapshot_date]).fetchone()[0]

    def read_filtered_movies_arrow(self) -> pa.Table:
        with self.connect(read_only=True) as con:
            # The contract decides the columns, their order and types (last_modified as 'YYYY-MM-DD').
            return con.sql(
                f"SELECT {contract_select(FilteredMovies)} FROM main.{FILTERED_MOVIES_TABLE} ORDER BY tconst"
            ).to_arrow_table()

    def model_row_counts(self, table, window_start, window_end):
        with self.connect(read_only=True) as con:
            total, merged = con.execute(
                f"SELECT count(*), count_if(last_modified >= ? AND last_modified < ?) FROM main.{quote_ident(table)}",
                [window_start, window_end],
            ).fetchone()
        return {"dagster/row_count": total, "rows_merged_this_run": merged}

    def dbt_env(self) -> dict[str, str]:
        return {"IMDB_ASSETS_DUCKDB_PATH": str(Path(self.path).resolve())}
