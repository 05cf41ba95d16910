"""The server's batch path gives exactly the answers of the single-row reference `predictor.predict`."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import SGDClassifier

from imdb_assets.model.store import LoadedModel, LocalModelStore
from imdb_assets.serving.batch_predictor import answer_batch, predict_batch, prepare_serving_model
from imdb_assets.serving.fast_scorer import compile_scorer
from imdb_assets.serving.predictor import InvalidInputError, predict
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.serving_fixtures import EDGE_CASES


@pytest.fixture(scope="module")
def champion(built_home: Path) -> LoadedModel:
    return LocalModelStore(LocalPaths(built_home).models_dir).load()


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


def test_compiled_batch_equals_single_row_predict(champion: LoadedModel, all_movies):
    served = prepare_serving_model(champion)
    assert served.compiled, "the trained pipeline shape should compile; serving would be slow otherwise"
    assert_same_predictions(champion, served, all_movies)
    # The API's JSON answers are the same predictions.
    assert answer_batch(served, all_movies) == [asdict(p) for p in predict_batch(served, all_movies)]
    # Scoring the same rows again (word caches now warm) changes nothing.
    assert [p.probability for p in predict_batch(served, all_movies[:200])] == [
        p.probability for p in predict_batch(served, all_movies[:200])
    ]


def test_batch_results_do_not_depend_on_batch_neighbours(champion: LoadedModel, all_movies):
    served = prepare_serving_model(champion)
    alone = [predict_batch(served, [row])[0].probability for row in all_movies[:50]]
    together = [p.probability for p in predict_batch(served, all_movies[:50])]
    assert together == pytest.approx(alone, abs=1e-12)


def test_unknown_pipeline_shape_falls_back_to_the_pipeline_with_equal_answers(champion: LoadedModel, built_home: Path, all_movies):
    # Same features, another classifier: not something the compiler knows, so it must not compile.
    features = pd.read_parquet(LocalPaths(built_home).features_dir / "movie_features.parquet")
    train = features[features["split"] == "train"]
    pipeline = clone(champion.pipeline).set_params(classifier=SGDClassifier(loss="log_loss", random_state=0))
    pipeline.fit(train[["title_clean", "genres"]], train["label"])
    other = LoadedModel("other-version", pipeline, champion.record)
    assert compile_scorer(pipeline, champion.record["known_genres"]) is None
    served = prepare_serving_model(other)
    assert not served.compiled
    assert_same_predictions(other, served, all_movies)


def test_empty_title_is_refused_with_its_row(champion: LoadedModel):
    served = prepare_serving_model(champion)
    with pytest.raises(InvalidInputError, match="row 1: title is empty"):
        predict_batch(served, [("Heat", ["Crime"]), ("  ", ["Drama"])])
    assert predict_batch(served, []) == []
