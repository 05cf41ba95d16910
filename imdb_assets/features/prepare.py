"""From the filtered movies to model-ready features (pure pandas, no Dagster)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from imdb_assets.features.text import normalise_title, split_genres

TEST_SHARE_PERCENT = 20


def test_split(tconst: pd.Series, test_share_percent: int = TEST_SHARE_PERCENT) -> pd.Series:
    """'train' or 'test' from a hash of tconst: a title keeps its split when new snapshots arrive."""
    buckets = np.fromiter(
        (int.from_bytes(hashlib.md5(t.encode()).digest()[:4], "big") % 100 for t in tconst),
        dtype=np.int64,
        count=len(tconst),
    )
    return pd.Series(np.where(buckets < test_share_percent, "test", "train"), index=tconst.index)


def prepare_features(movies: pd.DataFrame, rating_threshold: float = 5.0) -> pd.DataFrame:
    """One row per movie: cleaned title, genre list (comma-joined), label and split."""
    features = pd.DataFrame(
        {
            "tconst": movies["tconst"].astype(str),
            "title": movies["primaryTitle"].astype(str),
            "title_clean": [normalise_title(t) for t in movies["primaryTitle"]],
            "genres": [",".join(split_genres(g)) for g in movies["genres"]],
            "averageRating": movies["averageRating"].astype(float),
            "label": (movies["averageRating"].astype(float) >= rating_threshold).astype("int64"),
        }
    )
    features["split"] = test_split(features["tconst"])
    return features.reset_index(drop=True)
