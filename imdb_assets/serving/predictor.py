"""Answer "will a viewer enjoy this movie?" from a stored model (no Dagster: ships in a slim image)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from imdb_assets.text_cleaning import normalise_title, split_genres
from imdb_assets.model.store import LoadedModel
from imdb_assets.model.training_data import kind_of
from imdb_assets.serving.genre_suggestions import suggestions_for
from imdb_assets.serving.limits import MAX_GENRE_CHARS, MAX_GENRES, MAX_TITLE_CHARS


@dataclass(frozen=True)
class Prediction:
    label: int
    probability: float
    model_version: str
    threshold: float
    unknown_genres: list[str]
    suggestions: dict[str, list[str]] = field(default_factory=dict)  # per unknown genre, the known ones it may mean
    training_data: str = "unknown"  # what the model was trained on: synthetic, real or unknown (model/training_data.py)


class InvalidInputError(ValueError):
    pass


def check_title(title: str) -> None:
    if not title or not str(title).strip():
        raise InvalidInputError("title is empty")
    if len(str(title)) > MAX_TITLE_CHARS:
        raise InvalidInputError(f"title is {len(str(title)):,} characters long, over the limit of {MAX_TITLE_CHARS}")


def checked_genres(genres: Sequence[str] | str) -> list[str]:
    """`split_genres`, once the genres are no more and no longer than the HTTP API takes (checked before
    any work is spent on them: canonicalising or suggesting for a 50 MB genre would take minutes)."""
    raw = genres.split(",") if isinstance(genres, str) else list(genres or ())
    items = [g.strip() for g in raw if g is not None]
    items = [g for g in items if g]
    longest = max(map(len, items), default=0)
    if longest > MAX_GENRE_CHARS:
        raise InvalidInputError(f"genres: one is {longest:,} characters long, over the limit of {MAX_GENRE_CHARS}")
    if len(items) > MAX_GENRES:
        raise InvalidInputError(f"genres: {len(items):,} given, over the limit of {MAX_GENRES}")
    return split_genres(items)


def pipeline_probability(pipeline, title_clean: str, genres: str) -> float:
    """P(enjoy) of one normalised title and its comma-joined genres, through the fitted pipeline (reference only)."""
    import pandas as pd  # here, not at import: the serving paths never need it

    frame = pd.DataFrame({"title_clean": [title_clean], "genres": [genres]})
    return float(pipeline.predict_proba(frame)[0, 1])


def prediction_from(probability: float, version: str, record: dict, genre_list: Sequence[str]) -> Prediction:
    """The answer for a probability, with the model's threshold and the genres it never saw."""
    threshold = float(record.get("threshold", 0.5))
    known = record.get("known_genres", [])
    known_set = set(known)
    unknown = [g for g in genre_list if known_set and g not in known_set]
    return Prediction(
        label=int(probability >= threshold),
        probability=probability,
        model_version=version,
        threshold=threshold,
        unknown_genres=unknown,
        suggestions=suggestions_for(unknown, known) if unknown else {},
        training_data=kind_of(record),
    )


def predict(model: LoadedModel, title: str, genres: list[str] | str) -> Prediction:
    """The scikit-learn reference answer for one row (`pipeline.predict_proba`): what the tests hold the one
    serving path, the compiled scorer (`model/compiled_scorer.py`), to. Nothing in the product answers through it."""
    check_title(title)
    genre_list = checked_genres(genres)
    probability = pipeline_probability(model.pipeline, normalise_title(title), ",".join(genre_list))
    return prediction_from(probability, model.version, model.record, genre_list)
