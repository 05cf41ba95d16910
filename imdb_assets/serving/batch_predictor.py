"""Many predictions in one pass, equal to `predictor.predict` row by row (pure Python, no Dagster).

`predictor.predict` is the scikit-learn reference for one row. The server answers batches with the one
compiled scorer (`model/compiled_scorer.py`), checked against scikit-learn when the champion is loaded
(`prepare_serving_model`), and scores a whole batch with one call; the tests hold the two paths equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from imdb_assets.text_cleaning import normalise_title, split_genres
from imdb_assets.model.store import ModelStore
from imdb_assets.model.training_data import kind_of
from imdb_assets.model.compiled_scorer import CompiledModel, load_compiled
from imdb_assets.serving.genre_suggestions import close_genres
from imdb_assets.serving.predictor import InvalidInputError, Prediction

TITLE_COLUMN = "title_clean"
GENRE_COLUMN = "genres"


@dataclass(frozen=True)
class ServingModel:
    """A champion ready to answer: its compiled scorer plus what every request needs from it."""

    compiled: CompiledModel
    threshold: float
    known_genres: tuple[str, ...]
    training_data: str  # synthetic, real or unknown: said with every answer (model/training_data.py)

    @property
    def version(self) -> str:
        return self.compiled.version

    @property
    def record(self) -> dict:
        return self.compiled.record

    def score(self, columns: dict[str, Sequence[str]]):
        return self.compiled.score(columns)


def serving_model(compiled: CompiledModel) -> ServingModel:
    return ServingModel(compiled, compiled.threshold, compiled.known_genres, kind_of(compiled.record))


def prepare_serving_model(store: ModelStore, version: str) -> ServingModel:
    """Stored model `version`, compiled from its file and checked against scikit-learn on probe rows."""
    return serving_model(load_compiled(store, version, check=True))


@lru_cache(maxsize=8192)
def _genres(genres: tuple[str, ...] | str) -> tuple[tuple[str, ...], str]:
    """split_genres and its comma-joined form, cached: requests repeat a few hundred genre combinations,
    and canonicalising each genre name costs more than scoring the row."""
    genre_list = split_genres(genres)
    return tuple(genre_list), ",".join(genre_list)


def _score_rows(model: ServingModel, rows: Iterable[tuple[str, Sequence[str] | str]]) -> tuple[list[float], list[list[str]]]:
    """P(enjoy) and the genres the model does not know, per row, from a single scoring call."""
    titles, genre_lists, genre_columns = [], [], []
    for index, (title, genres) in enumerate(rows):
        if not title or not str(title).strip():
            raise InvalidInputError(f"row {index}: title is empty")
        titles.append(normalise_title(title))
        genre_list, genre_column = _genres(genres if isinstance(genres, str) else tuple(genres))
        genre_lists.append(genre_list)
        genre_columns.append(genre_column)
    if not titles:
        return [], []
    probabilities = model.score({TITLE_COLUMN: titles, GENRE_COLUMN: genre_columns}).tolist()
    known = set(model.known_genres)
    return probabilities, [[g for g in genres if known and g not in known] for genres in genre_lists]


def _suggestions(model: ServingModel, unknown: list[str]) -> dict[str, list[str]]:
    """Per unknown genre, the known genres it may mean (cached per genre: the same typos come back)."""
    return {genre: list(close_genres(genre, model.known_genres)) for genre in unknown}


def predict_batch(model: ServingModel, rows: Iterable[tuple[str, Sequence[str] | str]]) -> list[Prediction]:
    """Predictions for (title, genres) rows, in order: row by row what `predictor.predict` answers."""
    probabilities, unknown = _score_rows(model, rows)
    return [
        Prediction(
            int(p >= model.threshold), p, model.version, model.threshold, u, _suggestions(model, u) if u else {}, model.training_data
        )
        for p, u in zip(probabilities, unknown)
    ]


def answer_batch(model: ServingModel, rows: Iterable[tuple[str, Sequence[str] | str]]) -> list[dict]:
    """`predict_batch` as the API's JSON objects, built directly (a 1,000-row batch skips 1,000 objects)."""
    probabilities, unknown = _score_rows(model, rows)
    version, threshold, training_data = model.version, model.threshold, model.training_data
    # Suggestions only for rows with an unknown genre: most rows have none and skip difflib entirely.
    return [
        {
            "label": int(p >= threshold),
            "probability": p,
            "threshold": threshold,
            "model_version": version,
            "unknown_genres": u,
            "suggestions": _suggestions(model, u) if u else {},
            "training_data": training_data,
        }
        for p, u in zip(probabilities, unknown)
    ]
