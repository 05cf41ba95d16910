"""Fetch IMDb's published files and check them against their contracts, using DuckDB as the engine.

Parsing and contract checks run in DuckDB (no row-wise Python), so a full 11.8M-row dump fits a small
machine. The checked snapshot stays in memory, in one DuckDB connection, from which a warehouse loads it
(the DuckDB warehouse straight from there; a file-loading warehouse, such as BigQuery, from Parquet).
"""

from __future__ import annotations

import time
import urllib.parse
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandera.pandas as pa

from imdb_assets.contracts.raw_imdb import RAW_FILES
from imdb_assets.contracts.sql_checks import sql_literal, typed_select
from imdb_assets.errors import DataError
from imdb_assets.contracts.duckdb_scan import check_contract
from imdb_assets.ingest.download import download, sha256_of
from imdb_assets.ingest.tsv_reader import check_header, load_tsv


@dataclass(frozen=True)
class CheckedFile:
    """One IMDb file, read and checked against its contract: `table` in the snapshot's connection."""

    file_name: str
    table: str  # all-VARCHAR rows, as in the file
    rows: int
    source_sha256: str
    source_uri: str
    read_seconds: float
    check_seconds: float


@dataclass(frozen=True)
class StagedFile:
    """One IMDb file, validated and written as typed Parquet (for whatever takes files rather than a connection)."""

    file_name: str
    parquet_path: Path
    rows: int
    source_sha256: str
    source_uri: str


def is_url(source: str) -> bool:
    return urllib.parse.urlparse(source).scheme in ("http", "https")


def fetch_snapshot(source: str, download_dir: Path) -> dict[str, tuple[Path, str]]:
    """Local paths of the IMDb files in `source` (a folder or a base URL), keyed by file name.

    URLs are fetched into the download cache `download_dir` (see `download.py`): bounded in time, retried
    and resumed, and not fetched again while the server says the cached copy is current.
    """
    found: dict[str, tuple[Path, str]] = {}
    for file_name in RAW_FILES:
        if is_url(source):
            uri = urllib.parse.urljoin(source.rstrip("/") + "/", file_name)
            found[file_name] = (download(uri, download_dir).path, uri)
        else:
            path = Path(source).expanduser().resolve() / file_name
            if not path.is_file():
                raise DataError(f"{path}: file not found in source {source}")
            found[file_name] = (path, str(path))
    return found


class CheckedSnapshot:
    """Both files of a snapshot, checked, held in one in-memory DuckDB connection until closed."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, files: dict[str, CheckedFile]):
        self.connection = connection
        self.files = files

    def typed_query(self, file_name: str) -> str:
        """SELECT of the file's rows in its contract's types: what a warehouse loads."""
        return f"SELECT {typed_select(RAW_FILES[file_name])} FROM {self.files[file_name].table}"

    def write_parquet(self, file_name: str, path: Path) -> None:
        self.connection.execute(f"COPY ({self.typed_query(file_name)}) TO {sql_literal(str(path))} (FORMAT parquet, COMPRESSION zstd)")

    def close(self) -> None:
        self.connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _checked_table(file_name: str) -> str:
    return "checked_" + file_name.removesuffix(".tsv.gz").replace(".", "_")


def check_snapshot(source: str, download_cache: Path) -> CheckedSnapshot:
    """Fetch both IMDb files of a snapshot (a URL's into `download_cache`), read them and check them against
    their contracts; raise DataError naming the first problem found (basics before ratings, as RAW_FILES
    lists them)."""
    fetched = fetch_snapshot(source, download_cache)
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")  # stdout belongs to the CLI's output
        # Raw rows have no meaningful order: not keeping it lets the checks and the load run in parallel.
        con.execute("SET preserve_insertion_order = false")
        # Hashing (~1 s for the basics file, outside the GIL) overlaps with reading.
        hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")
        try:
            digests: dict[str, Future[str]] = {name: hasher.submit(sha256_of, path) for name, (path, _) in fetched.items()}
            files = {name: _check_file(con, fetched[name], model, digests[name]) for name, model in RAW_FILES.items()}
        finally:
            hasher.shutdown(cancel_futures=True)
    except BaseException:
        con.close()
        raise
    return CheckedSnapshot(con, files)


def _check_file(con: duckdb.DuckDBPyConnection, fetched: tuple[Path, str], model: type[pa.DataFrameModel], digest: Future[str]) -> CheckedFile:
    path, uri = fetched
    name = path.name
    check_header(path, model)
    table = _checked_table(name)
    started = time.perf_counter()
    load_tsv(con, path, model, table)
    read_done = time.perf_counter()
    rows = check_contract(con, table, name, model)
    if rows == 0:
        raise DataError(f"{name}: file has a header but no rows")
    checked = time.perf_counter()
    return CheckedFile(name, table, rows, digest.result(), uri, round(read_done - started, 3), round(checked - read_done, 3))


def stage_snapshot(source: str, work_dir: Path, download_cache: Path | None = None) -> dict[str, StagedFile]:
    """Check a snapshot (as `check_snapshot`), then write each file as typed Parquet under `work_dir`.
    Without a `download_cache`, a URL's files are downloaded under `work_dir`."""
    out_dir = work_dir / "staged"
    out_dir.mkdir(parents=True, exist_ok=True)
    staged: dict[str, StagedFile] = {}
    with check_snapshot(source, download_cache or work_dir / "download") as snapshot:
        for name, checked in snapshot.files.items():
            parquet_path = out_dir / (name.removesuffix(".tsv.gz") + ".parquet")
            snapshot.write_parquet(name, parquet_path)
            staged[name] = StagedFile(name, parquet_path, checked.rows, checked.source_sha256, checked.source_uri)
    return staged
