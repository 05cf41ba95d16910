"""Fit the classifier on the train split and evaluate it on the test split (pure, no Dagster)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sklearn.pipeline import Pipeline

from imdb_assets.model.evaluate import classification_metrics
from imdb_assets.model.pipeline import build_pipeline

FEATURE_COLUMNS = ["title_clean", "genres"]


@dataclass
class TrainedModel:
    pipeline: Pipeline
    threshold: float
    metrics: dict
    params: dict
    known_genres: list[str]


def train_and_evaluate(features: pd.DataFrame, C: float = 1.0, seed: int = 0, threshold: float = 0.5) -> TrainedModel:
    train = features[features["split"] == "train"]
    test = features[features["split"] == "test"]
    if train["label"].nunique() < 2:
        raise ValueError(f"training split has a single class ({train['label'].unique().tolist()}): cannot train")
    if test.empty:
        raise ValueError("test split is empty: not enough rows to evaluate a model")
    pipeline = build_pipeline(C=C, seed=seed)
    pipeline.fit(train[FEATURE_COLUMNS], train["label"])
    probability = pipeline.predict_proba(test[FEATURE_COLUMNS])[:, 1]
    metrics = classification_metrics(test["label"].to_numpy(), probability, threshold)
    metrics["train_rows"] = int(len(train))
    genres = sorted(pipeline.named_steps["features"].named_transformers_["genres"].vocabulary_)
    return TrainedModel(pipeline, threshold, metrics, {"C": C, "seed": seed, "model": "tfidf+logreg(balanced)"}, genres)
