"""The fast feature matrix is scikit-learn's, bit for bit (fitted vocabulary, idf, values, order)."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression

from imdb_assets.features.prepare import prepare_features
from imdb_assets.model.baselines import genres_only_baseline
from imdb_assets.model.pipeline import FEATURE_COLUMNS, FeatureSettings, build_features, genre_columns
from imdb_assets.model.text_matrix import fit_feature_matrix, transform_features

# Titles that stress the word/character decomposition: marks that split \w tokens (Devanagari vowel
# signs), Greek final sigma, digits, one-letter words, empty titles, repeated words and titles.
HARD_TITLES = [
    "दिल से", "Ночной дозор", "ΟΔΟΣ ΟΔΟΣ", "Rocky II", "A", "x x x", "", "   ", "U.S.A. 1,000",
    "千と千尋の神隠し", "Love", "Love", "love story", "Don't Look Up", "Amélie", "l'amour", "a b a b",
    "Ⅻ Monkeys", "½ Moon", "Stra\u00dfe", "ﬁve", "e\u0301te\u0301",
]  # fmt: skip


def movies_frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    words = ["night", "day", "love", "war", "the", "of", "a", "2", "dark", "city", "blue", "man", "girl", "zoo"]
    genres = ["Drama", "Comedy", "Horror", "Action", "Romance", "Sci-Fi", "Documentary"]
    titles = [" ".join(rng.choice(words, size=rng.integers(1, 6))) for _ in range(n - len(HARD_TITLES))]
    genre_lists = [",".join(sorted(set(rng.choice(genres, size=rng.integers(1, 4))))) for _ in range(n)]
    # Horror rates lower and documentaries higher, so the genres carry some signal.
    shift = np.array([2.0 * ("Documentary" in g) - 2.5 * ("Horror" in g) for g in genre_lists])
    return pd.DataFrame(
        {
            "tconst": [f"tt{i:07d}" for i in range(n)],
            "primaryTitle": titles + HARD_TITLES,
            "genres": genre_lists,
            "averageRating": np.clip(rng.normal(6, 2, size=n) + shift, 1, 10).round(1),
        }
    )


def assert_same_matrix(expected, actual):
    expected, actual = expected.tocsr(), actual.tocsr()
    assert expected.shape == actual.shape
    assert np.array_equal(expected.indptr, actual.indptr)
    assert np.array_equal(expected.indices, actual.indices)
    assert np.array_equal(expected.data, actual.data)  # exact: the reproduction check compares exactly


@pytest.mark.parametrize(
    "settings",
    [
        FeatureSettings(),
        # small vocabulary bounds: the max_features cut (and its tie-breaking) decides the vocabulary
        FeatureSettings(max_word_features=25, max_char_features=40, min_genre_pair_titles=2),
        FeatureSettings(title_features=False),
    ],
    ids=["default", "bounded-vocabularies", "genres-only"],
)
def test_fast_matrix_is_scikit_learns_matrix(settings):
    features = prepare_features(movies_frame(3_000, seed=1))
    fit_rows = features["split"].to_numpy() == "train"
    rows = features[FEATURE_COLUMNS]

    reference = build_features(settings).fit(rows[fit_rows])
    fitted, matrix = fit_feature_matrix(settings, rows, fit_rows)

    for name, vectorizer, _ in reference.transformers_:
        if name == "remainder":
            continue
        ours = fitted.named_transformers_[name]
        assert ours.vocabulary_ == vectorizer.vocabulary_, name
        if hasattr(vectorizer, "idf_"):
            assert np.array_equal(ours.idf_, vectorizer.idf_), name
    assert_same_matrix(reference.transform(rows), matrix)
    # and the fitted step transforms new rows as scikit-learn does, fast or not
    unseen = prepare_features(movies_frame(500, seed=2))[FEATURE_COLUMNS]
    assert_same_matrix(fitted.transform(unseen), transform_features(fitted, unseen))
    assert_same_matrix(reference.transform(unseen), transform_features(fitted, unseen))


def test_genres_only_baseline_on_grouped_rows_matches_a_fit_on_every_row():
    features = prepare_features(movies_frame(4_000, seed=3))
    fit_rows = features["split"].to_numpy() == "train"
    fitted, matrix = fit_feature_matrix(FeatureSettings(), features[FEATURE_COLUMNS], fit_rows)
    genres = genre_columns(fitted, matrix)
    labels = features["label"].to_numpy()
    train, test = np.flatnonzero(fit_rows), np.flatnonzero(~fit_rows)
    result = genres_only_baseline(genres[train], genres[test], genres[test], labels[train], labels[test], labels[test])

    every_row = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(genres[train], labels[train])
    # Same objective, so the same ranking of test movies (up to the solvers' tolerance).
    assert result.metrics["roc_auc"] > 0.6
    assert spearmanr(every_row.decision_function(genres[test]), result.test_probability).statistic > 0.999


@pytest.mark.parametrize("sublinear_tf", [True, False])
@pytest.mark.parametrize("norm", ["l2", "l1", None])
@pytest.mark.parametrize("use_idf", [True, False])
def test_tfidf_weights_from_public_settings_are_scikit_learns(sublinear_tf, norm, use_idf):
    """The weighting from `idf_` and the vectorizer's settings is TfidfVectorizer.transform's, bit for bit."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from imdb_assets.model.text_matrix import _Documents, _distinct_block, _term_counts

    titles = movies_frame(400, seed=3)["primaryTitle"]
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=sublinear_tf, norm=norm, use_idf=use_idf
    ).fit(titles)
    documents = _Documents(titles)
    block = _distinct_block(vectorizer, _term_counts(vectorizer, documents))
    assert_same_matrix(vectorizer.transform(titles), block[documents.row_codes])
