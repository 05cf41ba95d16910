"""Behaviour of a model trained here on the bundled sample, asked through the one scoring path.

Not its accuracy (the benchmarks measure that) but what any answer must respect, checked on the
model as `imdb-assets predict` and the server score it (a store holding it as champion, the compiled
scorer; `predictor.predict`, scikit-learn's answer, where the two must agree):
- invariance: case, spacing, IMDb's "Matrix, The" and accents do not change the answer;
- direction: adding a genre moves the probability the way that genre's share of "enjoy" in the training
  rows says (above the overall share: up; below: down);
- minimum functionality: a very long, a one-letter and a non-Latin title are answered; an unknown genre
  is ignored, named and does not move the answer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from imdb_assets.model.store import LocalModelStore
from imdb_assets.model.train import train_and_evaluate
from imdb_assets.serving.file_model import FileModel, load_champion
from imdb_assets.serving.limits import MAX_TITLE_CHARS
from imdb_assets.serving.predictor import predict
from imdb_assets_tests.model_helpers import sample_features

MIN_GENRE_ROWS = 50  # a genre's training share is read only where it rests on this many movies


@pytest.fixture(scope="module")
def trained():
    return train_and_evaluate(sample_features(), seed=0)


@pytest.fixture(scope="module")
def model(trained, tmp_path_factory) -> FileModel:
    store = LocalModelStore(tmp_path_factory.mktemp("behaviour-store"))
    record = {"threshold": trained.threshold, "known_genres": trained.known_genres, "metrics": trained.metrics}
    version = store.save(trained.pipeline, record)
    store.set_champion(version, "trained for the behaviour tests", actor="test")
    return load_champion(store)


def probability(model: FileModel, title: str, genres: str | list[str] = "Drama") -> float:
    return model.predict(title, genres).probability


@pytest.mark.parametrize(
    "variants",
    [
        ["The Matrix", "THE MATRIX", "the matrix", "tHe MaTrIx"],
        ["The Matrix", "  The   Matrix  ", "The\tMatrix", "The Matrix "],
        ["The Matrix", "Matrix, The"],
        ["Les Misérables", "Misérables, Les", "Les Miserables"],
        ["Amélie", "Amelie", "AMÉLIE"],
        ["Café Society", "Cafe Society"],
    ],
)
def test_case_spacing_moved_articles_and_accents_do_not_change_the_answer(model: FileModel, variants: list[str]):
    answers = {title: probability(model, title, "Comedy,Romance") for title in variants}
    assert len(set(answers.values())) == 1, answers


def test_a_moved_article_is_read_as_the_title_it_stands_for(trained, model: FileModel):
    # A title whose "the ..." bigram the model weighs: there, word order changes the answer, so only
    # moving the article back (normalise_title) makes "Rest, The" and "The Rest" the same title.
    words = trained.pipeline.named_steps["features"].named_transformers_["title_words"].vocabulary_
    coef = trained.pipeline.named_steps["classifier"].coef_.ravel()
    start = trained.pipeline.named_steps["features"].output_indices_["title_words"].start
    bigrams = sorted(
        (term for term in words if term.startswith("the ") and term.count(" ") == 1 and abs(coef[start + words[term]]) > 1e-3),
        key=lambda term: -abs(coef[start + words[term]]),
    )
    assert bigrams, "the sample's model should weigh some 'the ...' bigram"
    rest = bigrams[0].split(" ", 1)[1].title()
    assert probability(model, f"{rest}, The") == probability(model, f"The {rest}")
    assert probability(model, f"{rest} The") != probability(model, f"The {rest}")  # the order does matter


def _genre_shares() -> tuple[float, pd.Series]:
    """The share of "enjoy" over all training rows, and per genre (genres on enough rows)."""
    features = sample_features()
    train = features[features["split"] == "train"]
    rows = train.assign(genre=train["genres"].str.split(",")).explode("genre")
    counts = rows.groupby("genre")["label"].agg(["mean", "count"])
    return float(train["label"].mean()), counts.loc[counts["count"] >= MIN_GENRE_ROWS, "mean"]


def test_adding_a_genre_moves_the_answer_the_way_its_training_share_says(trained, model: FileModel):
    overall, shares = _genre_shares()
    lowest, highest = shares.idxmin(), shares.idxmax()
    assert shares[lowest] < overall - 0.1 and shares[highest] > overall + 0.1, (lowest, highest, overall)
    titles = trained.test["title"].astype(str).head(40).tolist()
    for title in titles:
        alone = probability(model, title, "Drama")
        assert probability(model, title, ["Drama", lowest]) < alone, (title, lowest)
        assert probability(model, title, ["Drama", highest]) > alone, (title, highest)


def test_long_one_letter_and_non_latin_titles_are_answered(model: FileModel, trained):
    titles = {
        "very long": "A Very Long Title " * (MAX_TITLE_CHARS // 18),
        "one letter": "X",
        "digit": "9",
        "cyrillic": "Ночной дозор",
        "japanese": "千と千尋の神隠し",
        "arabic": "وجدة",
    }
    for name, title in titles.items():
        assert len(title) <= MAX_TITLE_CHARS, name
        answer = model.predict(title, "Drama")
        assert 0.0 < answer.probability < 1.0 and np.isfinite(answer.probability), name
        assert answer.label == int(answer.probability >= answer.threshold), name
        # The same answer scikit-learn gives for the same model.
        reference = predict(_reference(trained, model), title, "Drama")
        assert answer.probability == pytest.approx(reference.probability, abs=1e-12), name


def _reference(trained, model: FileModel):
    from imdb_assets.model.store import LoadedModel

    return LoadedModel(model.version, trained.pipeline, model.record)


def test_an_unknown_genre_is_ignored_named_and_does_not_move_the_answer(model: FileModel):
    known = probability(model, "Heat", ["Crime", "Drama"])
    answer = model.predict("Heat", ["Crime", "Drama", "Cyberpunk"])
    assert answer.unknown_genres == ["Cyberpunk"]
    assert answer.probability == known
    misspelt = model.predict("Heat", ["Crme", "Drama"])
    assert misspelt.unknown_genres == ["Crme"] and "Crime" in misspelt.suggestions["Crme"]


def test_a_title_longer_than_the_limit_is_refused_in_one_line(model: FileModel):
    from imdb_assets.serving.predictor import InvalidInputError

    with pytest.raises(InvalidInputError, match=f"over the limit of {MAX_TITLE_CHARS}"):
        model.predict("x" * (MAX_TITLE_CHARS + 1), "Drama")
