"""The training step's fast paths give scikit-learn's answers exactly: the feature matrix for Arrow-backed
and unusual string columns, the word split it relies on, and the confusion-matrix metrics (pure, fast)."""

import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from sklearn.metrics import balanced_accuracy_score, f1_score, roc_auc_score

from imdb_assets.features.prepare import prepare_features, validation_mask
from imdb_assets.model.evaluate import classification_metrics
from imdb_assets.model.pipeline import FEATURE_COLUMNS, FeatureSettings, build_features
from imdb_assets.model.text_matrix import fit_feature_matrix, transform_features
from imdb_assets.model.train import split_frames
from imdb_assets_tests.test_model_text_matrix import assert_same_matrix, movies_frame

ARROW_STRING = pd.StringDtype("pyarrow")
# Every kind of white space str.split() splits on, leading, trailing, in runs and alone.
SPACED_TITLES = [
    "\u3000x\x1c y\x1f", "a\xa0b", "tab\tand\nnew line", " lead", "trail ", "  ", "", "line\u2028sep",
    "next\x85line", "thin\u2009space\u202fnarrow", "ogham\u1680mark", "zero\u200bwidth", "Love  Story",
]  # fmt: skip


def _features(n: int, seed: int, string_dtype) -> pd.DataFrame:
    features = prepare_features(movies_frame(n, seed=seed))
    titles = features["title_clean"].tolist()
    titles[: len(SPACED_TITLES)] = SPACED_TITLES
    features["title_clean"] = titles
    for column in ("tconst", "title", "title_clean", "genres", "split"):
        features[column] = features[column].astype(string_dtype)
    return features


@pytest.mark.parametrize("string_dtype", [ARROW_STRING, object], ids=["string[pyarrow]", "object"])
def test_fast_matrix_is_scikit_learns_for_arrow_strings_and_every_white_space(string_dtype):
    features = _features(2_000, seed=4, string_dtype=string_dtype)
    fit_rows = (features["split"] == "train").to_numpy(dtype=bool)
    rows = features[FEATURE_COLUMNS]
    reference = build_features(FeatureSettings(min_genre_pair_titles=2)).fit(rows[fit_rows].astype(object))

    fitted, matrix = fit_feature_matrix(FeatureSettings(min_genre_pair_titles=2), rows, fit_rows)

    for name, vectorizer, _ in reference.transformers_:
        if name == "remainder":
            continue
        ours = fitted.named_transformers_[name]
        assert ours.vocabulary_ == vectorizer.vocabulary_, name
        # the fitted step holds its vocabulary as a list in column order, as a loaded model does
        assert ours.vocabulary == sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get), name
    assert_same_matrix(reference.transform(rows.astype(object)), matrix)
    unseen = _features(300, seed=5, string_dtype=string_dtype)[FEATURE_COLUMNS]
    assert_same_matrix(reference.transform(unseen.astype(object)), transform_features(fitted, unseen))


def test_non_string_values_are_vectorized_as_their_text():
    rows = pd.DataFrame({"title_clean": [1999, "1999", 2.5, "love", "love 2"] * 4, "genres": ["Drama,Horror"] * 20})
    _, matrix = fit_feature_matrix(FeatureSettings(min_genre_pair_titles=1), rows, np.ones(20, dtype=bool))
    reference = build_features(FeatureSettings(min_genre_pair_titles=1)).fit(rows.astype(str))
    assert_same_matrix(reference.transform(rows.astype(str)), matrix)


def test_arrow_splits_words_on_exactly_pythons_white_space():
    # The fast matrix splits titles into words with Arrow; the vectorizers split with str.split().
    code_points = [c for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    characters = [chr(c) for c in code_points]
    pieces = pc.list_value_length(pc.utf8_split_whitespace(pa.array([f"a{c}b" for c in characters])))
    arrow_white_space = (pieces.to_numpy() == 2).tolist()
    assert arrow_white_space == [c.isspace() for c in characters]
    assert [len(f"a{c}b".split()) == 2 for c in characters] == arrow_white_space


def test_arrow_orders_strings_as_python_does():
    # Terms are numbered in Arrow's sort order; a fitted vocabulary is in Python's.
    rng = np.random.default_rng(8)
    code_points = np.r_[32:127, 0xA0:0x3000:7, 0xE000:0x110000:9973]
    terms = list({"".join(map(chr, rng.choice(code_points, size=rng.integers(0, 6)))) for _ in range(20_000)})
    order = pc.sort_indices(pa.array(terms, type=pa.string())).to_numpy()
    assert [terms[i] for i in order] == sorted(terms)


def test_text_that_is_not_unicode_is_refused_naming_the_column_and_row():
    rows = pd.DataFrame({"title_clean": ["love", "bad \ud800 title"], "genres": ["Drama", "Drama"]}, index=[7, 9])
    with pytest.raises(ValueError, match=r"column 'title_clean' row 9 holds text that is not valid Unicode"):
        fit_feature_matrix(FeatureSettings(min_genre_pair_titles=1), rows, np.ones(2, dtype=bool))


def test_roc_auc_and_confusion_matrix_metrics_equal_scikit_learns():
    rng = np.random.default_rng(7)
    for case in range(40):
        n = int(rng.integers(2, 400))
        labels = (rng.random(n) < rng.uniform(0.05, 0.95)).astype(int)
        labels[:2] = [0, 1]
        probability = rng.random(n) ** rng.uniform(0.2, 5)
        if case % 3 == 0:  # ties, and scores at the clipping bounds
            probability = np.round(probability, 1)
        # includes thresholds predicting one class for every row (F1's zero division)
        for threshold in (0.0, 1.5, float(np.median(probability))):
            metrics = classification_metrics(labels, probability, threshold)
            clipped = np.clip(probability, 1e-7, 1 - 1e-7)
            predicted = (clipped >= threshold).astype(int)
            assert metrics["roc_auc"] == roc_auc_score(labels, clipped), case
            assert metrics["balanced_accuracy"] == balanced_accuracy_score(labels, predicted), case
            assert metrics["f1"] == f1_score(labels, predicted, zero_division=0), case
            counts = metrics["confusion_matrix"]
            assert counts["tp"] + counts["fn"] == labels.sum() and counts["tp"] + counts["fp"] == predicted.sum()


def test_labels_other_than_0_and_1_are_refused():
    with pytest.raises(ValueError, match="labels must be 0"):
        classification_metrics(np.array([1, 2, 1]), np.array([0.1, 0.2, 0.3]))


def test_splits_are_consecutive_slices_in_the_features_row_order():
    features = prepare_features(movies_frame(1_500, seed=6))
    frames = split_frames(features)
    train = features[features["split"] == "train"]
    is_validation = validation_mask(train["tconst"])
    pd.testing.assert_frame_equal(frames.fit, train[~is_validation])
    pd.testing.assert_frame_equal(frames.validation, train[is_validation])
    pd.testing.assert_frame_equal(frames.test, features[features["split"] == "test"])
    pd.testing.assert_frame_equal(frames.ordered, pd.concat([frames.fit, frames.validation, frames.test]))
