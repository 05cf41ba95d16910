"""Prepared features, read from the versioned dataset by its DVC md5.

The asset's data version follows its content: a hash of the dataset version it reads, the rating
threshold and the code version of the features source, so materializing it again on the same dataset
gives the same data version, and nothing downstream turns stale.
"""

import hashlib
import json
import time
from pathlib import Path

import pandas as pd
from dagster import Config, DataVersion, MetadataValue, Output, asset
from pydantic import Field

from imdb_assets.code_versions import FEATURES_SOURCES, source_code_version
from imdb_assets.contracts.features import DEFAULT_RATING_THRESHOLD, MovieFeatures
from imdb_assets.contracts.movies import read_movies_csv
from imdb_assets.dataset.repository import DatasetRepository
from imdb_assets.dataset.version import DatasetVersion
from imdb_assets.features.prepare import SOURCE_COLUMNS, prepare_features
from imdb_assets.scratch import scratch_dir


FEATURES_CODE_VERSION = source_code_version(*FEATURES_SOURCES)
METADATA_DIGITS = 4  # floats shown in the UI, as the model's metadata shows them (model/card.py)


class FeaturesConfig(Config):
    # The one run-time knob of the label; the model reads it back from the frame's attrs, not from here.
    rating_threshold: float = Field(
        default=DEFAULT_RATING_THRESHOLD, description="label 1 when a movie's averageRating is at least this"
    )


def features_data_version(dataset_md5: str, rating_threshold: float, code_version: str = FEATURES_CODE_VERSION) -> str:
    """sha256 of everything that decides the features' content: dataset bytes, label threshold, code."""
    # Canonical JSON, so that 5 and 5.0 (or a reordered dict) can never give two versions of one content.
    inputs = {"dataset_md5": dataset_md5, "rating_threshold": float(rating_threshold), "code_version": code_version}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode("utf-8")).hexdigest()


def _splits_table(features: pd.DataFrame) -> str:
    counts = features.groupby("split")["label"].agg(["count", "mean"])
    return "| split | rows | positive share |\n|---|---|---|\n" + "\n".join(
        f"| {split} | {int(row['count'])} | {row['mean']:.{METADATA_DIGITS}f} |" for split, row in counts.iterrows()
    )


@asset(
    group_name="features",
    kinds={"pandas", "parquet"},
    io_manager_key="parquet_io_manager",
    code_version=FEATURES_CODE_VERSION,
)
def movie_features(
    config: FeaturesConfig, movies_dataset: DatasetVersion, dataset_repository: DatasetRepository
) -> Output[pd.DataFrame]:
    """Cleaned title, genre list, label (`averageRating >= rating_threshold`) and a train/test split by a
    hash of tconst, from the exact dataset version DVC recorded."""
    started = time.perf_counter()
    with scratch_dir("imdb-dataset-") as tmp:
        # The exact bytes of the version `movies_dataset` selected (from the DVC cache, or the remote),
        # never "whatever CSV is on disk": a retrain on an old version sees exactly that version.
        csv_path = dataset_repository.materialize_version(
            movies_dataset.md5, Path(tmp) / "movies.csv", movies_dataset.path
        )
        movies = read_movies_csv(csv_path, columns=SOURCE_COLUMNS, arrow_strings=True)
    read = time.perf_counter()
    features = prepare_features(movies, config.rating_threshold)
    prepared = time.perf_counter()
    features = MovieFeatures.validate(features)
    # Where the step's time goes (the benchmark compares it with a naive pipeline's).
    seconds = {
        "read": round(read - started, 2),
        "prepare": round(prepared - read, 2),
        "validate": round(time.perf_counter() - prepared, 2),
    }
    return Output(
        features,
        data_version=DataVersion(features_data_version(movies_dataset.md5, config.rating_threshold)),
        metadata={
            "dagster/row_count": len(features),
            "dataset_version": movies_dataset.md5,
            # For the UI only: the model takes the threshold from the frame itself (its attrs), not from here.
            "rating_threshold": float(config.rating_threshold),
            "positive_share": round(float(features["label"].mean()), METADATA_DIGITS),
            "seconds": MetadataValue.json(seconds),
            "splits": MetadataValue.md(_splits_table(features)),
        },
    )
