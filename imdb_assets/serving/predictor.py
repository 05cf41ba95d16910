"""Answer "will a viewer enjoy this movie?" from a stored model (no Dagster: ships in a slim image)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from imdb_assets.features.text import normalise_title, split_genres
from imdb_assets.model.store import LoadedModel


@dataclass(frozen=True)
class Prediction:
    label: int
    probability: float
    model_version: str
    threshold: float
    unknown_genres: list[str]


class InvalidInputError(ValueError):
    pass


def predict(model: LoadedModel, title: str, genres: list[str] | str) -> Prediction:
    if not title or not str(title).strip():
        raise InvalidInputError("title is empty")
    genre_list = split_genres(genres)
    frame = pd.DataFrame({"title_clean": [normalise_title(title)], "genres": [",".join(genre_list)]})
    probability = float(model.pipeline.predict_proba(frame)[0, 1])
    threshold = float(model.record.get("threshold", 0.5))
    known = set(model.record.get("known_genres", []))
    return Prediction(
        label=int(probability >= threshold),
        probability=probability,
        model_version=model.version,
        threshold=threshold,
        unknown_genres=[g for g in genre_list if known and g not in known],
    )
