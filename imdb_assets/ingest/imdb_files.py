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


def _example_row(columns: list[str], line: bytes | str, limit: int = 160) -> str:
    """`tconst=tt0000001 titleType=movie ...` from a raw TSV line, cut to `limit` characters."""
    text = line.decode("utf-8", errors="backslashreplace") if isinstance(line, bytes) else line
    values = text.rstrip("\r\n").split("\t")
    pairs = [f"{name}={value}" for name, value in zip(columns, values)]
    pairs += [f"(extra)={value}" for value in values[len(columns):]]
    row = " ".join(pairs)
    return row if len(row) <= limit else row[: limit - 3] + "..."


def check_header(path: Path, model: type[pa.DataFrameModel]) -> None:
    """The file must be a non-empty gzip whose header lists exactly the contract's columns, in order."""
    name = path.name
    expected = list(model.to_schema().columns)
    if path.stat().st_size == 0:
        raise DataError(f"{name}: file is empty (0 bytes); expected a gzip file with header {' '.join(expected)}")
    try:
        with gzip.open(path, "rb") as handle:
            header_bytes = handle.readline()
            first_row = handle.readline()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{name}: not a readable gzip file ({exc})") from exc
    try:
        header = header_bytes.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise DataError(f"{name}: line 1 (header): not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    if not header:
        raise DataError(f"{name}: file is empty (no header row); expected header {' '.join(expected)}")
    actual = header.split("\t")
    if actual == expected:
        return
    example = f"; first row: {_example_row(actual, first_row)}" if first_row else ""
    missing = [c for c in expected if c not in actual]
    extra = [c for c in actual if c not in expected]
    renamed = [
        (want, got)
        for want, got in zip(expected, actual)
        if want != got and want in missing and got in extra
    ]
    if renamed:
        want, got = renamed[0]
        problem = f"column {want} is missing: the header has {got!r} in its place (renamed upstream?)"
    elif missing:
        problem = f"column {', '.join(missing)} is missing from the header"
    elif extra:
        problem = f"unexpected column {', '.join(repr(c) for c in extra)} in the header"
    else:
        first_moved = next(want for want, got in zip(expected, actual) if want != got)
        problem = f"column {first_moved} is out of order (expected {' '.join(expected)})"
    raise DataError(f"{name}: {problem}; header: {' '.join(actual)}{example}")


def _one_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    detail = next((line for line in lines if line.lower().startswith("line")), "")
    return (lines[0] if lines else type(exc).__name__) + (f" ({detail})" if detail else "")


def _read_csv_sql(columns: list[str], store_rejects: bool = False) -> str:
    """Every column read as VARCHAR: types are the contract's rules' job, so a bad value is reported by them."""
    column_spec = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in columns) + "}"
    # IMDb's files are not quoted: a title's " or ' is plain text, so quoting must be off.
    return f"""SELECT * FROM read_csv(?, delim='\t', quote='', escape='', header=true, nullstr='\\N',
        columns={column_spec}, strict_mode=true, compression='gzip', auto_detect=false
        {", store_rejects=true" if store_rejects else ""})"""


def _describe_truncation(path: Path, columns: list[str]) -> str:
    """Where a gzip stream stops: count complete lines and name the column the last one is cut in.

    Only runs once DuckDB has failed, so the happy path never decompresses the file twice."""
    complete_lines, last_complete, tail = 0, b"", b""
    try:
        with gzip.open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                data = tail + block
                cut = data.rfind(b"\n")
                if cut < 0:
                    tail = data
                    continue
                complete_lines += data.count(b"\n", 0, cut + 1)
                last_complete = data[data.rfind(b"\n", 0, cut) + 1 : cut]
                tail = data[cut + 1 :]
    except (EOFError, OSError, zlib.error) as exc:
        reason = str(exc) or type(exc).__name__
    else:
        return f"{path.name}: gzip stream could not be read by DuckDB but decompresses in full; check the file"
    where = f"after line {complete_lines:,}"
    if tail:
        column = columns[min(tail.count(b"\t"), len(columns) - 1)]
        where += f", inside line {complete_lines + 1:,} at column {column}"
    last = f"; last complete row: {_example_row(columns, last_complete)}" if complete_lines > 1 else ""
    return f"{path.name}: truncated gzip ({reason}): the data ends {where}{last}; download the file again"


def _describe_parse_error(con: duckdb.DuckDBPyConnection, path: Path, columns: list[str], exc: duckdb.Error) -> str:
    """Name the line, column and row DuckDB rejected (a second, reject-collecting scan: error path only)."""
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE rejected_scan AS {_read_csv_sql(columns, store_rejects=True)}", [str(path)])
        reject = con.execute(
            "SELECT line, column_name, error_type, error_message, csv_line FROM reject_errors ORDER BY line LIMIT 1"
        ).fetchone()
    except duckdb.Error:
        reject = None
    if reject is None:
        return f"{path.name}: cannot be parsed: {_one_line(exc)}"
    line, column, error_type, message, csv_line = reject
    first_sentence = (message or error_type).strip().splitlines()[0]
    # DuckDB shows undecodable bytes as '?': read that line's raw bytes so the row shows the real byte.
    raw = _raw_line(path, line) if error_type == "INVALID ENCODING" else None
    row = _example_row(columns, raw) if raw else repr(csv_line[:160])
    return f"{path.name}: line {line}, column {column}: {error_type.lower()}: {first_sentence}; row: {row}"


def _raw_line(path: Path, line_number: int) -> bytes | None:
    with gzip.open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == line_number:
                return raw
    return None


def stage_file(path: Path, source_uri: str, model: type[pa.DataFrameModel], out_dir: Path) -> StagedFile:
    """Parse one IMDb TSV with DuckDB, check it against `model`, write typed Parquet to `out_dir`."""
    name = path.name
    check_header(path, model)
    columns = list(model.to_schema().columns)
    out_dir.mkdir(parents=True, exist_ok=True)
    parquet_path = out_dir / (name.removesuffix(".tsv.gz") + ".parquet")
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # stdout belongs to the CLI's output
    try:
        con.execute("SET enable_progress_bar = false")  # the bar would flood a run's stderr
        try:
            con.execute(f"CREATE TEMP TABLE staged AS {_read_csv_sql(columns)}", [str(path)])
        except duckdb.IOException as exc:
            if "gzip" in str(exc).lower():
                raise DataError(_describe_truncation(path, columns)) from exc
            raise DataError(f"{name}: cannot be read: {_one_line(exc)}") from exc
        except duckdb.Error as exc:
            raise DataError(_describe_parse_error(con, path, columns, exc)) from exc
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
    """Every row-level rule of the contract counted in one scan, then uniqueness; the first broken rule
    raises with its count and one example row (by key)."""
    key_name = next(iter(model.to_schema().columns))
    key = quote_ident(key_name)
    row_rules = rules(model)
    selects = []
    for rule in row_rules:
        column = quote_ident(rule.column)
        selects.append(f"count_if({rule.violation_sql})")
        selects.append(f"any_value({key} || ' ' || coalesce({column}::VARCHAR, '\\N')) FILTER (WHERE {rule.violation_sql})")
        selects.append(f"any_value({rule.detail_sql}) FILTER (WHERE {rule.violation_sql})" if rule.detail_sql else "NULL")
    result = con.execute(f"SELECT {', '.join(selects)} FROM staged").fetchone()
    for index, rule in enumerate(row_rules):
        count, example, detail = result[3 * index : 3 * index + 3]
        if not count:
            continue
        message = f"{file_name}: column {rule.column}: {count} row(s) {rule.description}"
        if example:
            example_key, _, example_value = example.partition(" ")
            message += f", e.g. {key_name}={example_key} {rule.column}={example_value!r}"
        if detail:
            message += f" (new: {detail})"
        raise DataError(message)
    for column in unique_columns(model):
        ident = quote_ident(column)
        duplicate = con.execute(
            f"SELECT {ident}, count(*) FROM staged GROUP BY {ident} HAVING count(*) > 1 ORDER BY {ident} LIMIT 1"
        ).fetchone()
        if duplicate:
            total = con.execute(
                f"SELECT count(*) FROM (SELECT {ident} FROM staged GROUP BY {ident} HAVING count(*) > 1)"
            ).fetchone()[0]
            raise DataError(
                f"{file_name}: column {column}: {total} duplicated value(s), e.g. {column}={duplicate[0]} "
                f"appears {duplicate[1]} times"
            )


def stage_snapshot(source: str, work_dir: Path) -> dict[str, StagedFile]:
    """Fetch and stage both IMDb files of a snapshot; raise DataError naming the first problem found."""
    fetched = fetch_snapshot(source, work_dir / "download")
    staged: dict[str, StagedFile] = {}
    for file_name, model in RAW_FILES.items():
        path, uri = fetched[file_name]
        staged[file_name] = stage_file(path, uri, model, work_dir / "staged")
    return staged
