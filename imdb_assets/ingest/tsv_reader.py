"""Read one IMDb TSV (gzip, tab-separated, `\\N` nulls, no quoting) into a DuckDB connection, all VARCHAR.

Types are the contract's rules' job (`contracts/duckdb_scan.py`), so a bad value is reported by them with its row.

Fast path: pyarrow's CSV reader decompresses on one thread and parses blocks on the others, where DuckDB
reads a gzip CSV on one thread only (the 11.8 M-row basics file: ~5 s instead of ~8-12 s on 2 cores).
DuckDB's strict reader stays the reference: whenever pyarrow rejects a file, DuckDB reads it again and
decides. Its failure is described (line, column and row; or where a truncated gzip stops), and if it
accepts the file its table is used.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import duckdb
import pandera.pandas as pa
import pyarrow
import pyarrow.csv as arrow_csv

from imdb_assets.errors import DataError

# pyarrow reads this much text per parse task: larger blocks mean fewer tasks and chunks for DuckDB.
ARROW_BLOCK_BYTES = 4 << 20
# The longest row either reader accepts. IMDb's longest rows are a few hundred bytes; DuckDB silently
# skips a row over its `max_line_size`, so longer rows are found and refused by name first.
MAX_ROW_BYTES = ARROW_BLOCK_BYTES


def example_row(columns: list[str], line: bytes | str, limit: int = 160) -> str:
    """`tconst=tt0000001 titleType=movie ...` from a raw TSV line, cut to `limit` characters."""
    text = line.decode("utf-8", errors="backslashreplace") if isinstance(line, bytes) else line
    values = text.rstrip("\r\n").split("\t")
    pairs = [f"{name}={value}" for name, value in zip(columns, values)]
    pairs += [f"(extra)={value}" for value in values[len(columns) :]]
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
    example = f"; first row: {example_row(actual, first_row)}" if first_row else ""
    missing = [c for c in expected if c not in actual]
    extra = [c for c in actual if c not in expected]
    renamed = [(want, got) for want, got in zip(expected, actual) if want != got and want in missing and got in extra]
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
        columns={column_spec}, strict_mode=true, compression='gzip', auto_detect=false,
        max_line_size={MAX_ROW_BYTES + 1024}{", store_rejects=true" if store_rejects else ""})"""


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
    last = f"; last complete row: {example_row(columns, last_complete)}" if complete_lines > 1 else ""
    return f"{path.name}: truncated gzip ({reason}): the data ends {where}{last}; download the file again"


def _describe_parse_error(con: duckdb.DuckDBPyConnection, path: Path, columns: list[str], exc: duckdb.Error) -> str:
    """Name the line, column and row DuckDB rejected (a second, reject-collecting scan: error path only)."""
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE rejected_scan AS {_read_csv_sql(columns, store_rejects=True)}", [str(path)]
        )
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
    row = example_row(columns, raw) if raw else repr(csv_line[:160])
    return f"{path.name}: line {line}, column {column}: {error_type.lower()}: {first_sentence}; row: {row}"


def _describe_overlong_row(path: Path, columns: list[str]) -> str | None:
    """The first row longer than MAX_ROW_BYTES, by line, size and the column where the limit falls."""
    try:
        with gzip.open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if len(raw) > MAX_ROW_BYTES:
                    column = columns[min(raw[:MAX_ROW_BYTES].count(b"\t"), len(columns) - 1)]
                    return (
                        f"{path.name}: line {number:,} is {len(raw):,} bytes long, more than the {MAX_ROW_BYTES:,} a row "
                        f"may have (column {column}); row: {example_row(columns, raw[:4096])}"
                    )
    except (EOFError, OSError, zlib.error):
        return None  # a truncated gzip is described by the reader below
    return None


def _raw_line(path: Path, line_number: int) -> bytes | None:
    with gzip.open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == line_number:
                return raw
    return None


def _read_with_arrow(path: Path, columns: list[str]) -> pyarrow.Table:
    """The file as an Arrow table of strings (nulls where the field is exactly `\\N`), header skipped."""
    return arrow_csv.read_csv(
        pyarrow.input_stream(str(path), compression="gzip"),
        read_options=arrow_csv.ReadOptions(column_names=columns, skip_rows=1, block_size=ARROW_BLOCK_BYTES),
        # No quoting, as in IMDb's files; empty lines are skipped, as DuckDB's reader does.
        parse_options=arrow_csv.ParseOptions(
            delimiter="\t", quote_char=False, escape_char=False, ignore_empty_lines=True
        ),
        convert_options=arrow_csv.ConvertOptions(
            column_types={c: pyarrow.string() for c in columns},
            null_values=["\\N"],
            strings_can_be_null=True,
            check_utf8=True,
        ),
    )


def load_tsv(con: duckdb.DuckDBPyConnection, path: Path, model: type[pa.DataFrameModel], table: str) -> None:
    """Make `table` in `con` hold the rows of the TSV at `path` (header already checked), every column
    VARCHAR; raise DataError naming the line, column and row DuckDB rejects."""
    columns = list(model.to_schema().columns)
    try:
        con.register(table, _read_with_arrow(path, columns))
        return
    except (pyarrow.ArrowException, OSError, EOFError, zlib.error):
        pass  # DuckDB's strict reader decides below, and words the error if there is one
    name = path.name
    overlong = _describe_overlong_row(path, columns)
    if overlong:
        raise DataError(overlong)
    try:
        con.execute(f"CREATE TEMP TABLE {table} AS {_read_csv_sql(columns)}", [str(path)])
    except duckdb.IOException as exc:
        if "gzip" in str(exc).lower():
            raise DataError(_describe_truncation(path, columns)) from exc
        raise DataError(f"{name}: cannot be read: {_one_line(exc)}") from exc
    except duckdb.Error as exc:
        raise DataError(_describe_parse_error(con, path, columns, exc)) from exc
