"""The filtered movies checked against their contract and written as the CSV, both inside DuckDB.

The rows arrive from the warehouse as an Arrow table. The pandera contract (`FilteredMovies`) is checked
in SQL, as the raw files are at ingest (`contracts/duckdb_scan.py`: one scan counting every rule's
violations, the key's uniqueness by hashes), and DuckDB writes the CSV: at IMDb's size pandera over
pandas and `DataFrame.to_csv` took ~4 s of the step, this ~0.3 s. A violation is one line naming the
column, the rule, how many rows and an example tconst.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from imdb_assets.contracts.duckdb_scan import check_contract
from imdb_assets.contracts.movies import FilteredMovies, arrow_schema
from imdb_assets.contracts.sql_checks import sql_literal
from imdb_assets.errors import DataError
from imdb_assets.files import atomic_output

_TABLE = "movies"


def validate_movies(movies: pa.Table, table: str = "filtered_movies_incremental") -> pa.Table:
    """`movies` in the contract's types once every rule of `FilteredMovies` holds; else DataError."""
    if movies.num_rows == 0:
        raise DataError(f"{table}: no rows (was any snapshot ingested and built?)")
    schema = arrow_schema()
    if movies.column_names != schema.names:  # the contract is strict and ordered
        raise DataError(f"{table}: columns {movies.column_names} are not the contract's {schema.names}")
    try:
        movies = movies.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise DataError(f"{table}: a column does not have the contract's type: {str(error).splitlines()[0]}") from None
    with duckdb.connect() as con:
        con.register(_TABLE, movies)
        check_contract(con, _TABLE, table, FilteredMovies)
    return movies


def write_movies_csv(movies: pa.Table, path: Path) -> None:
    """The CSV (header, comma, quotes only where needed, null as an empty field) written to a temporary
    file beside `path`, then renamed: the previous CSV stays whole until then."""
    with atomic_output(path) as temporary, duckdb.connect() as con:
        con.register(_TABLE, movies)
        con.execute(f"COPY {_TABLE} TO {sql_literal(str(temporary))} (FORMAT csv, HEADER, DELIMITER ',')")
