"""What a dataset version looks like in numbers: the figures the checks compare between versions.

Pure pandas. Column names come from the contract (`FilteredMovies.<column>` is the column's name).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from imdb_assets.contracts.movies import KEY_COLUMN, FilteredMovies, movie_columns
from imdb_assets.features.text import normalise_title, split_genres


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
    """Titles the model would see as empty once `normalise_title` has cleaned them (e.g. punctuation only)."""
    titles = movies[FilteredMovies.primaryTitle].fillna("")
    return pd.Series([normalise_title(t) == "" for t in titles], index=movies.index, dtype=bool)


def profile_movies(movies: pd.DataFrame, rating_threshold: float) -> DatasetProfile:
    rows = len(movies)
    genre_counts: dict[str, int] = {}
    for genres in movies[FilteredMovies.genres].dropna():
        for genre in split_genres(genres):
            genre_counts[genre] = genre_counts.get(genre, 0) + 1
    ratings = movies[FilteredMovies.averageRating].astype(float)
    return DatasetProfile(
        rows=rows,
        rating_threshold=float(rating_threshold),
        label_share=float((ratings >= rating_threshold).mean()) if rows else 0.0,
        genre_shares={g: n / rows for g, n in sorted(genre_counts.items())} if rows else {},
        null_rates={c: float(movies[c].isna().mean()) if rows else 0.0 for c in movie_columns()},
        duplicate_rate=float(movies[KEY_COLUMN].duplicated(keep=False).mean()) if rows else 0.0,
        empty_title_rows=int(empty_title_mask(movies).sum()),
    )
