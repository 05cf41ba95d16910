"""From the filtered movies to model-ready features (pure pandas, no Dagster).

Every split is decided by a hash of tconst, never by chance or by row order: a title keeps its split
when new snapshots arrive, so a model trained on any snapshot has never seen any title of today's test
split, and two models can be compared on the same current test split without leakage.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from imdb_assets.contracts.features import ARROW_STRING, DEFAULT_RATING_THRESHOLD, with_rating_threshold
from imdb_assets.contracts.movies import FilteredMovies
from imdb_assets.text_cleaning import normalise_titles, split_genres

TEST_SHARE_PERCENT = 20
# Validation (for model selection, calibration and the threshold) is carved from train by the same hash:
# buckets [TEST_SHARE_PERCENT, TEST_SHARE_PERCENT + VALIDATION_SHARE_PERCENT) of 100.
VALIDATION_SHARE_PERCENT = 16
SPLIT_METHOD = "md5(tconst) first 4 bytes, big-endian, mod 100"


# SPLIT_METHOD in SQL: the first 4 bytes of the md5 are its first 8 hex digits. DuckDB hashes every row
# in C++ on all cores (~0.05 s for 330 k titles; hashlib in a Python loop took ~0.4 s, twice a run).
_BUCKET_SQL = "select (('0x' || md5(tconst)[1:8])::UBIGINT % 100)::BIGINT as bucket from titles"


def split_buckets(tconst: pd.Series) -> np.ndarray:
    """Bucket 0..99 of each tconst (`SPLIT_METHOD`), stable across snapshots, machines and Python versions."""
    titles = pa.table({"tconst": pa.array(tconst.astype(ARROW_STRING))})
    with duckdb.connect() as connection:
        connection.register("titles", titles)
        # Row order is kept: DuckDB preserves insertion order for a plain projection.
        buckets = connection.execute(_BUCKET_SQL).fetchnumpy()["bucket"]
    return np.asarray(buckets, dtype=np.int64)


def test_split(tconst: pd.Series, test_share_percent: int = TEST_SHARE_PERCENT) -> pd.Series:
    """'train' or 'test' from a hash of tconst: a title keeps its split when new snapshots arrive."""
    buckets = split_buckets(tconst)
    return pd.Series(np.where(buckets < test_share_percent, "test", "train"), index=tconst.index)


def validation_mask(
    tconst: pd.Series,
    test_share_percent: int = TEST_SHARE_PERCENT,
    validation_share_percent: int = VALIDATION_SHARE_PERCENT,
) -> np.ndarray:
    """True for the train titles set aside for validation (never a test title)."""
    buckets = split_buckets(tconst)
    return (buckets >= test_share_percent) & (buckets < test_share_percent + validation_share_percent)


def split_definition() -> dict:
    """What a model records about its splits, so a comparison on another split definition is visible."""
    return {
        "method": SPLIT_METHOD,
        "test_buckets": [0, TEST_SHARE_PERCENT],
        "validation_buckets": [TEST_SHARE_PERCENT, TEST_SHARE_PERCENT + VALIDATION_SHARE_PERCENT],
    }


def _joined_genres(genres: str) -> str:
    return ",".join(split_genres(genres))


# What prepare_features reads of the movies contract (named through it, so a rename is one edit).
SOURCE_COLUMNS = [
    FilteredMovies.tconst,
    FilteredMovies.primaryTitle,
    FilteredMovies.genres,
    FilteredMovies.averageRating,
    FilteredMovies.startYear,
]


def _distinct_list(distinct: pd.Index) -> list:
    """The values of `distinct` as Python objects, a missing one as the dtype's NA (what iterating gives).

    Arrow-backed strings come out in one `to_pylist`: pandas iterates them one value at a time, ~0.2 s
    for IMDb's 160 k distinct titles."""
    if not isinstance(distinct.dtype, pd.StringDtype) or distinct.dtype.storage != "pyarrow":
        return list(distinct)
    values = pa.array(distinct.array).to_pylist()
    na_value = distinct.dtype.na_value
    return [na_value if value is None else value for value in values] if distinct.hasnans else values


def _map_distinct(values: pd.Series, clean) -> np.ndarray:
    """`clean` applied once per distinct value (titles and genre lists repeat across movies)."""
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    cleaned = np.array([clean(value) for value in _distinct_list(distinct)], dtype=object)
    return cleaned[codes]


def _clean_titles(titles: pd.Series) -> pd.arrays.ArrowStringArray:
    """`normalise_title` of each title (an `ARROW_STRING` series), computed once per distinct title."""
    codes, distinct = pd.factorize(titles, use_na_sentinel=False)
    # normalise_title starts with str(title): a missing title has always been cleaned as str(pd.NA).
    distinct_titles = pa.array(distinct.array).fill_null(str(distinct.dtype.na_value))
    return pd.array(normalise_titles(distinct_titles).take(pa.array(codes)), dtype=ARROW_STRING)


def _start_years(movies: pd.DataFrame) -> pd.arrays.IntegerArray:
    """The release year (nullable), for the model card's per-decade slices; a frame without it gives nulls."""
    if "startYear" not in movies:
        return pd.array([pd.NA] * len(movies), dtype="Int64")
    return pd.array(pd.to_numeric(movies["startYear"], errors="coerce").to_numpy(dtype=float, na_value=np.nan), dtype="Int64")


def prepare_features(movies: pd.DataFrame, rating_threshold: float = DEFAULT_RATING_THRESHOLD) -> pd.DataFrame:
    """One row per movie: cleaned title, genre list (comma-joined), label and split; the frame's `attrs`
    carry the rating threshold of the label (`rating_threshold_of`)."""
    tconst = movies["tconst"].astype(ARROW_STRING)
    titles = movies["primaryTitle"].astype(ARROW_STRING)
    rating = movies["averageRating"].astype(float)
    features = pd.DataFrame(
        {
            "tconst": tconst.array,
            "title": titles.array,
            "title_clean": _clean_titles(titles),
            "genres": pd.array(_map_distinct(movies["genres"], _joined_genres), dtype=ARROW_STRING),
            "averageRating": rating.to_numpy(),
            "startYear": _start_years(movies),
            "label": (rating >= rating_threshold).astype("int64").to_numpy(),
            "split": pd.array(test_split(tconst).to_numpy(), dtype=ARROW_STRING),
        }
    )
    return with_rating_threshold(features, rating_threshold)
