"""Validate the filtered movies against their contract, with errors a person can act on."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pandera.errors import SchemaErrors

from imdb_assets.contracts.movies import FilteredMovies
from imdb_assets.errors import DataError
from imdb_assets.files import atomic_output


def describe_schema_errors(table: str, errors: SchemaErrors, frame: pd.DataFrame, key: str = "tconst") -> str:
    """One line: the table, the failing column and check, how many rows, and example rows by key."""
    cases = errors.failure_cases
    first = cases.iloc[0]
    column = first["column"] if pd.notna(first["column"]) else "(table)"
    check = first["check"]
    same = cases[(cases["column"] == first["column"]) & (cases["check"] == check)]
    examples = []
    for index, value in zip(same["index"].head(3), same["failure_case"].head(3)):
        if pd.notna(index) and key in frame.columns and index in frame.index:
            examples.append(f"{key}={frame.at[index, key]} {column}={value!r}")
        else:
            examples.append(f"{column}={value!r}")
    more = f" (+{len(cases) - len(same)} other failure(s))" if len(cases) > len(same) else ""
    return f"{table}: column {column}: {check} failed for {len(same)} row(s), e.g. {'; '.join(examples)}{more}"


def validate_movies(movies: pd.DataFrame, table: str = "filtered_movies_incremental") -> pd.DataFrame:
    if movies.empty:
        raise DataError(f"{table}: no rows (was any snapshot ingested and built?)")
    try:
        return FilteredMovies.validate(movies, lazy=True)
    except SchemaErrors as errors:
        raise DataError(describe_schema_errors(table, errors, movies)) from None


def write_csv_atomically(frame: pd.DataFrame, path: Path) -> None:
    """Write to a temporary file beside `path`, then rename: the previous CSV stays whole until then."""
    with atomic_output(path) as temporary:
        frame.to_csv(temporary, index=False, lineterminator="\n")

