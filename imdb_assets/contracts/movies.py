"""Contract of `filtered_movies_incremental` and of its validated CSV: one row per rated movie."""

from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
from pandera.typing import Series
from pyarrow import csv as pa_csv

from imdb_assets.contracts import checks as _checks  # noqa: F401  (registers genres_within)
from imdb_assets.contracts.raw_imdb import TCONST_PATTERN
from imdb_assets.contracts.vocabulary import IMDB_GENRES


class FilteredMovies(pa.DataFrameModel):
    """Rated movies with a title and genres; `last_modified` is the snapshot date the row came from."""

    tconst: Series[str] = pa.Field(str_matches=TCONST_PATTERN, unique=True)
    primaryTitle: Series[str] = pa.Field(str_length={"min_value": 1})
    originalTitle: Series[str] = pa.Field(nullable=True)
    isAdult: Series[pd.Int64Dtype] = pa.Field(isin=[0, 1])
    startYear: Series[pd.Int64Dtype] = pa.Field(nullable=True, in_range={"min_value": 1850, "max_value": 2100})
    endYear: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    runtimeMinutes: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    genres: Series[str] = pa.Field(genres_within={"allowed": list(IMDB_GENRES)})
    averageRating: Series[float] = pa.Field(in_range={"min_value": 1.0, "max_value": 10.0})
    numVotes: Series[pd.Int64Dtype] = pa.Field(ge=0)
    last_modified: Series[str] = pa.Field(str_matches=r"^\d{4}-\d{2}-\d{2}$")

    class Config:
        strict = True
        ordered = True
        coerce = True


# The row key is the contract's unique column.
KEY_COLUMN = next(name for name, column in FilteredMovies.to_schema().columns.items() if column.unique)


def movie_columns() -> list[str]:
    return list(FilteredMovies.to_schema().columns)


def nullable_columns() -> list[str]:
    return [name for name, column in FilteredMovies.to_schema().columns.items() if column.nullable]


def csv_dtypes() -> dict[str, str]:
    """pandas dtypes to read the CSV with, taken from the contract."""
    return {name: str(column.dtype) for name, column in FilteredMovies.to_schema().columns.items()}


# The contract's pandas dtypes as Arrow types, for the CSV reader and the warehouse's Arrow tables.
_ARROW_TYPES = {"str": pa_arrow.string(), "Int64": pa_arrow.int64(), "float64": pa_arrow.float64()}


def arrow_schema() -> pa_arrow.Schema:
    """The contract's columns, in its order, as Arrow types."""
    return pa_arrow.schema([(name, _ARROW_TYPES[dtype]) for name, dtype in csv_dtypes().items()])


def read_movies_csv(path: Path, columns: list[str] | None = None, arrow_strings: bool = False) -> pd.DataFrame:
    """Read the validated CSV back in the contract's types (all columns, or only `columns`: parsing the
    others costs ~3x more at IMDb's size). Only an empty field is null: a movie titled "NA" or "null"
    stays a title (pandas would otherwise turn it into a missing value).

    Arrow's multi-threaded reader parses it (~6x faster than pandas' at IMDb's size); text comes back as
    Python strings, or with `arrow_strings` as Arrow-backed strings, which skip building a Python object
    per value."""
    dtypes = csv_dtypes()
    if columns is not None:
        unknown = sorted(set(columns) - set(dtypes))
        if unknown:
            raise ValueError(f"{path}: columns {unknown} are not in the movies contract")
        dtypes = {name: dtype for name, dtype in dtypes.items() if name in columns}
    table = pa_csv.read_csv(
        path,
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            include_columns=list(dtypes),
            column_types={name: _ARROW_TYPES[dtype] for name, dtype in dtypes.items()},
            null_values=[""],
            strings_can_be_null=True,
        ),
    )
    pandas_types = {pa_arrow.int64(): pd.Int64Dtype()}
    if arrow_strings:
        pandas_types[pa_arrow.string()] = pd.StringDtype("pyarrow")
    return table.to_pandas(types_mapper=pandas_types.get)
