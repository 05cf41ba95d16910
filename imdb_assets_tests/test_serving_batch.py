"""The server's batch path gives exactly the answers of the single-row reference `predictor.predict`."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pytest

from imdb_assets.model import serialization
from imdb_assets.model.store import LoadedModel, LocalModelStore, ModelArtifactError
from imdb_assets.serving.batch_predictor import answer_batch, predict_batch, prepare_serving_model
from imdb_assets.model.compiled_scorer import compile_artifact, compiled_from
from imdb_assets.serving.predictor import InvalidInputError, predict
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.serving_fixtures import EDGE_CASES


@pytest.fixture(scope="module")
def store(built_home: Path) -> LocalModelStore:
    return LocalModelStore(LocalPaths(built_home).models_dir)


@pytest.fixture(scope="module")
def champion(store: LocalModelStore) -> LoadedModel:
    return store.load()


@pytest.fixture(scope="module")
def served(store: LocalModelStore, champion: LoadedModel):
    return prepare_serving_model(store, champion.version)


@pytest.fixture(scope="module")
def all_movies(built_home: Path) -> list[tuple[str, list[str] | str]]:
    movies = pd.read_csv(LocalPaths(built_home).movies_csv, keep_default_na=False)
    spread = movies.iloc[:: max(1, len(movies) // 400)]  # single-row predict is ~8 ms a row: 400 of them
    rows: list[tuple[str, list[str] | str]] = [(str(t), str(g)) for t, g in zip(spread["primaryTitle"], spread["genres"])]
    return rows + [(case["title"], case["genres"]) for case in EDGE_CASES]


def assert_same_predictions(model: LoadedModel, served, rows) -> None:
    batch = predict_batch(served, rows)
    assert len(batch) == len(rows)
    for (title, genres), answer in zip(rows, batch):
        expected = predict(model, title, genres)
        assert answer.label == expected.label, title
        assert answer.probability == pytest.approx(expected.probability, abs=1e-12), title
        assert (answer.model_version, answer.threshold, answer.unknown_genres, answer.suggestions) == (
            expected.model_version,
            expected.threshold,
            expected.unknown_genres,
            expected.suggestions,
        )


def test_compiled_batch_equals_single_row_predict(champion: LoadedModel, served, all_movies):
    assert served.compiled.checked, "the server's scorer is checked against scikit-learn at load"
    assert_same_predictions(champion, served, all_movies)
    # The API's JSON answers are the same predictions.
    assert answer_batch(served, all_movies) == [asdict(p) for p in predict_batch(served, all_movies)]
    # Scoring the same rows again (word caches now warm) changes nothing.
    assert [p.probability for p in predict_batch(served, all_movies[:200])] == [
        p.probability for p in predict_batch(served, all_movies[:200])
    ]


def test_batch_results_do_not_depend_on_batch_neighbours(served, all_movies):
    alone = [predict_batch(served, [row])[0].probability for row in all_movies[:50]]
    together = [p.probability for p in predict_batch(served, all_movies[:50])]
    assert together == pytest.approx(alone, abs=1e-12)


def test_a_scorer_that_disagrees_with_scikit_learn_is_refused_at_load(store: LocalModelStore, champion: LoadedModel):
    artifact = store.read_file(champion.version, serialization.ARTIFACT_NAME)
    assert compiled_from(champion, artifact, serialization.ARTIFACT_NAME).checked
    # The same file, but scikit-learn's rebuild holds one coefficient changed: the probe rows must see it.
    changed = serialization.loads(artifact)
    classifier = changed.named_steps["classifier"]
    classifier.coef_ = classifier.coef_.copy()
    genre_column = changed.named_steps["features"].output_indices_["genres"].start
    classifier.coef_[0, genre_column] += 0.5
    with pytest.raises(ModelArtifactError, match=r"scores differently compiled and in scikit-learn \(by up to"):
        compiled_from(LoadedModel(champion.version, changed, champion.record), artifact, serialization.ARTIFACT_NAME)
    assert compile_artifact(b"not a zip") is None


def test_empty_title_is_refused_with_its_row(served):
    with pytest.raises(InvalidInputError, match="row 1: title is empty"):
        predict_batch(served, [("Heat", ["Crime"]), ("  ", ["Drama"])])
    assert predict_batch(served, []) == []
