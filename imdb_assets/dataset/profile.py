"""What a dataset version looks like in numbers: the figures the checks compare between versions.

Pure pandas. Column names come from the contract (`FilteredMovies.<column>` is the column's name).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from imdb_assets.contracts.movies import KEY_COLUMN, FilteredMovies, movie_columns
from imdb_assets.text_cleaning import normalise_titles, split_genres


@dataclass(frozen=True)
class DatasetProfile:
    rows: int
    rating_threshold: float
    label_share: float  # share of rows whose rating makes label 1 (rating >= threshold, as the features do)
    genre_shares: dict[str, float]  # genre -> share of movies that carry it
    null_rates: dict[str, float]  # column -> share of null values
    duplicate_rate: float  # share of rows whose key is not unique
    empty_title_rows: int  # titles that are empty once cleaned for the model

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> DatasetProfile:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


def empty_title_mask(movies: pd.DataFrame) -> pd.Series:
    """Titles the model would see as empty once `normalise_title` has cleaned them (e.g. punctuation only).

    Each distinct title is cleaned once, by the vectorised `normalise_titles`."""
    codes, distinct = pd.factorize(movies[FilteredMovies.primaryTitle].fillna(""))
    cleaned = normalise_titles(pa.array(distinct.astype(object), pa.string()))
    empty = pc.equal(cleaned, "").to_numpy(zero_copy_only=False)
    return pd.Series(empty[codes] if len(codes) else np.zeros(0, bool), index=movies.index, dtype=bool)


def _genre_counts(genres: pd.Series) -> dict[str, int]:
    """Movies per genre, splitting each distinct genre list once (a few thousand of them)."""
    counts: dict[str, int] = {}
    for genre_list, movies_with_list in genres.dropna().value_counts().items():
        for genre in split_genres(genre_list):
            counts[genre] = counts.get(genre, 0) + int(movies_with_list)
    return counts


def profile_movies(movies: pd.DataFrame, rating_threshold: float, empty_titles: pd.Series | None = None) -> DatasetProfile:
    """`empty_titles`: `empty_title_mask(movies)` when the caller has it already."""
    rows = len(movies)
    genre_counts = _genre_counts(movies[FilteredMovies.genres])
    if empty_titles is None:
        empty_titles = empty_title_mask(movies)
    ratings = movies[FilteredMovies.averageRating].astype(float)
    return DatasetProfile(
        rows=rows,
        rating_threshold=float(rating_threshold),
        label_share=float((ratings >= rating_threshold).mean()) if rows else 0.0,
        genre_shares={g: n / rows for g, n in sorted(genre_counts.items())} if rows else {},
        null_rates={c: float(movies[c].isna().mean()) if rows else 0.0 for c in movie_columns()},
        duplicate_rate=float(movies[KEY_COLUMN].duplicated(keep=False).mean()) if rows else 0.0,
        empty_title_rows=int(empty_titles.sum()),
    )
