"""Fetch IMDb's published files and turn them into validated, typed Parquet, using DuckDB as the engine.

Parsing and contract checks run in DuckDB (no row-wise Python), so a full 11.8M-row dump fits a small
machine. The result is warehouse-neutral Parquet that the DuckDB or BigQuery warehouse then loads.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import tempfile
import urllib.parse
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandera.pandas as pa

from imdb_assets.contracts.raw_imdb import RAW_FILES
from imdb_assets.contracts.sql_checks import quote_ident, rules, typed_select, unique_columns
from imdb_assets.errors import DataError


@dataclass(frozen=True)
class StagedFile:
    """One IMDb file, validated and written as typed Parquet."""

    file_name: str
    parquet_path: Path
    rows: int
    source_sha256: str
    source_uri: str


def is_url(source: str) -> bool:
    return urllib.parse.urlparse(source).scheme in ("http", "https")


def fetch_snapshot(source: str, download_dir: Path) -> dict[str, tuple[Path, str]]:
    """Local paths of the IMDb files in `source` (a folder or a base URL), keyed by file name.

    URLs are downloaded to `download_dir` under a temporary name and renamed when complete, so an
    interrupted download never looks like a finished file.
    """
    found: dict[str, tuple[Path, str]] = {}
    for file_name in RAW_FILES:
        if is_url(source):
            uri = urllib.parse.urljoin(source.rstrip("/") + "/", file_name)
            download_dir.mkdir(parents=True, exist_ok=True)
            target = download_dir / file_name
            with tempfile.NamedTemporaryFile(dir=download_dir, prefix=f".{file_name}.", delete=False) as tmp:
                try:
                    with urllib.request.urlopen(uri, timeout=60) as response:
                        shutil.copyfileobj(response, tmp, length=1 << 20)
                except OSError as exc:
                    Path(tmp.name).unlink(missing_ok=True)
                    raise DataError(f"{uri}: download failed: {exc}") from exc
            Path(tmp.name).replace(target)
            found[file_name] = (target, uri)
        else:
            path = Path(source).expanduser().resolve() / file_name
            if not path.is_file():
                raise DataError(f"{path}: file not found in source {source}")
            found[file_name] = (path, str(path))
    return found


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_header(path: Path, model: type[pa.DataFrameModel]) -> None:
    """The header must list exactly the contract's columns, in order."""
    expected = list(model.to_schema().columns)
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            header = handle.readline().rstrip("\r\n")
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path.name}: not a readable gzip file ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"{path.name}: header is not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    if not header:
        raise DataError(f"{path.name}: file is empty (no header row)")
    actual = header.split("\t")
    missing = [c for c in expected if c not in actual]
    extra = [c for c in actual if c not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if extra:
            parts.append(f"unexpected column(s) {', '.join(extra)}")
        raise DataError(f"{path.name}: header {parts[0] if len(parts) == 1 else '; '.join(parts)} (header: {header[:200]!r})")
    if actual != expected:
        raise DataError(f"{path.name}: columns out of order: expected {expected}, got {actual}")


def _one_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    detail = next((line for line in lines if line.lower().startswith("line")), "")
    return (lines[0] if lines else type(exc).__name__) + (f" ({detail})" if detail else "")


def stage_file(path: Path, source_uri: str, model: type[pa.DataFrameModel], out_dir: Path) -> StagedFile:
    """Parse one IMDb TSV with DuckDB, check it against `model`, write typed Parquet to `out_dir`."""
    name = path.name
    check_header(path, model)
    columns = list(model.to_schema().columns)
    column_spec = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in columns) + "}"
    out_dir.mkdir(parents=True, exist_ok=True)
    parquet_path = out_dir / (name.removesuffix(".tsv.gz") + ".parquet")
    con = duckdb.connect()
    try:
        try:
            # IMDb's files are not quoted: a title's " or ' is plain text, so quoting must be off.
            con.execute(
                f"""CREATE TEMP TABLE staged AS SELECT * FROM read_csv(?, delim='\t', quote='', escape='',
                    header=true, nullstr='\\N', columns={column_spec}, strict_mode=true,
                    compression='gzip', auto_detect=false)""",
                [str(path)],
            )
        except duckdb.Error as exc:
            raise DataError(f"{name}: cannot be parsed: {_one_line(exc)}") from exc
        rows = con.execute("SELECT count(*) FROM staged").fetchone()[0]
        if rows == 0:
            raise DataError(f"{name}: file has a header but no rows")
        _check_rules(con, name, model)
        con.execute(
            f"COPY (SELECT {typed_select(model)} FROM staged) TO '{parquet_path}' (FORMAT parquet, COMPRESSION zstd)"
        )
    finally:
        con.close()
    return StagedFile(name, parquet_path, rows, sha256_of(path), source_uri)


def _check_rules(con: duckdb.DuckDBPyConnection, file_name: str, model: type[pa.DataFrameModel]) -> None:
    key = quote_ident(list(model.to_schema().columns)[0])
    row_rules = rules(model)
    selects = []
    for rule in row_rules:
        column = quote_ident(rule.column)
        selects.append(f"count_if({rule.violation_sql})")
        selects.append(f"any_value({key} || ' ' || coalesce({column}::VARCHAR, '\\N')) FILTER (WHERE {rule.violation_sql})")
    result = con.execute(f"SELECT {', '.join(selects)} FROM staged").fetchone()
    for index, rule in enumerate(row_rules):
        count, example = result[2 * index], result[2 * index + 1]
        if count:
            example_key, _, example_value = (example or "").partition(" ")
            raise DataError(
                f"{file_name}: column {rule.column}: {count} row(s) {rule.description}, "
                f"e.g. {list(model.to_schema().columns)[0]}={example_key} {rule.column}={example_value!r}"
                if example
                else f"{file_name}: column {rule.column}: {count} row(s) {rule.description}"
            )
    for column in unique_columns(model):
        ident = quote_ident(column)
        duplicate = con.execute(
            f"SELECT {ident}, count(*) FROM staged GROUP BY {ident} HAVING count(*) > 1 LIMIT 1"
        ).fetchone()
        if duplicate:
            raise DataError(f"{file_name}: column {column}: duplicated value, e.g. {column}={duplicate[0]} appears {duplicate[1]} times")


def stage_snapshot(source: str, work_dir: Path) -> dict[str, StagedFile]:
    """Fetch and stage both IMDb files of a snapshot; raise DataError naming the first problem found."""
    fetched = fetch_snapshot(source, work_dir / "download")
    staged: dict[str, StagedFile] = {}
    for file_name, model in RAW_FILES.items():
        path, uri = fetched[file_name]
        staged[file_name] = stage_file(path, uri, model, work_dir / "staged")
    return staged
