"""The features every candidate shares, and the shape of a finished model (pure scikit-learn).

Features: TF-IDF title words (1-2 grams) and title character n-grams (within words), multi-hot genres
and multi-hot genre pairs (a linear model cannot learn "Comedy with Horror" from single genres). Each
vocabulary is bounded (`max_features`) so memory and time stay flat on IMDb's full ~330 k movies.

A finished model is always `Pipeline([("features", ColumnTransformer), ("classifier", LogisticRegression)])`:
every candidate family is linear in these features and Platt calibration is an affine map of the
linear score, so the calibrated model is exactly a logistic regression with rescaled coefficients
(see `calibrated_linear_pipeline`). One shape means one safe-loading allowlist and one fast scorer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from imdb_assets.model.genre_tokens import GENRE_PAIR_SEPARATOR, genre_pair_tokens, genre_tokens  # noqa: F401

FEATURE_COLUMNS = ["title_clean", "genres"]


@dataclass(frozen=True)
class FeatureSettings:
    """How titles and genres become columns; recorded with the model."""

    title_features: bool = True  # False: genres only (the genres-only baseline, or an ablation)
    max_word_features: int = 100_000
    max_char_features: int = 30_000
    min_genre_pair_titles: int = 5  # a pair seen on fewer training titles is noise, not signal

    def as_dict(self) -> dict:
        return asdict(self)


DEFAULT_FEATURES = FeatureSettings()


def _genre_vectorizers(settings: FeatureSettings) -> list[tuple[str, CountVectorizer, str]]:
    # Unknown genres at prediction time are simply not in the fitted vocabulary: they add nothing.
    return [
        ("genres", CountVectorizer(tokenizer=genre_tokens, lowercase=False, binary=True, token_pattern=None), "genres"),
        (
            "genre_pairs",
            CountVectorizer(
                tokenizer=genre_pair_tokens,
                lowercase=False,
                binary=True,
                token_pattern=None,
                min_df=settings.min_genre_pair_titles,
            ),
            "genres",
        ),
    ]


def build_features(settings: FeatureSettings = DEFAULT_FEATURES) -> ColumnTransformer:
    """The unfitted feature transformer (float64 throughout: the serving scorer recomputes it exactly)."""
    title_vectorizers = []
    if settings.title_features:
        title_vectorizers = [
            (
                "title_words",
                # Single-character tokens count: "2" (a sequel) and "x" are words here.
                TfidfVectorizer(
                    ngram_range=(1, 2),
                    min_df=2,
                    sublinear_tf=True,
                    token_pattern=r"(?u)\b\w+\b",
                    max_features=settings.max_word_features,
                ),
                "title_clean",
            ),
            (
                "title_chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(2, 4),
                    min_df=3,
                    sublinear_tf=True,
                    max_features=settings.max_char_features,
                ),
                "title_clean",
            ),
        ]
    # sparse_threshold=1.0: always a sparse matrix, however few rows are transformed.
    return ColumnTransformer(title_vectorizers + _genre_vectorizers(settings), sparse_threshold=1.0)


def fixed_vocabulary_features(transformers: list[tuple]) -> ColumnTransformer:
    """A fitted feature step from vectorizers whose vocabularies are fixed (`vocabulary=` set): what a
    saved model or the fast matrix (text_matrix.py) learned. Fitting learns nothing but each TF-IDF
    block's idf, from one empty row, which the caller then replaces with the real weights."""
    # Fitting clones each vectorizer, and `clone` copies a list parameter term by term (~0.05 s for the
    # full vocabularies, at every model load); an object array of the same strings is copied in one call.
    # The vectorizers get their lists back afterwards, so the fitted step looks as it always did.
    lists = {}
    for name, vectorizer, _ in transformers:
        if isinstance(vectorizer.vocabulary, list):
            lists[name] = vectorizer.vocabulary
            vectorizer.vocabulary = np.array(lists[name], dtype=object)
    features = ColumnTransformer(transformers, sparse_threshold=1.0)
    try:
        features.fit(pd.DataFrame({column: [""] for column in FEATURE_COLUMNS}))
    finally:
        for name, vectorizer, _ in transformers:
            if name in lists:
                vectorizer.vocabulary = lists[name]
    for name, vocabulary in lists.items():
        features.named_transformers_[name].vocabulary = vocabulary
    return features


def fitted_genres(features: ColumnTransformer) -> list[str]:
    """The genres a fitted feature transformer knows (anything else is ignored at prediction time)."""
    return sorted(features.named_transformers_["genres"].vocabulary_)


def genre_columns(features: ColumnTransformer, matrix):
    """The genre and genre-pair columns of a matrix made by `features` (what the genres-only baseline sees)."""
    blocks = [features.output_indices_[name] for name in ("genres", "genre_pairs")]
    if blocks[0].stop == blocks[1].start:  # side by side (as built): a column slice, one pass over the matrix
        return matrix[:, blocks[0].start : blocks[1].stop]
    return matrix[:, np.r_[tuple(blocks)]]


def calibrated_linear_pipeline(features: ColumnTransformer, coef: np.ndarray, intercept: float) -> Pipeline:
    """A fitted pipeline whose probability is `sigmoid(features(x) @ coef + intercept)`.

    The coefficients are a candidate's linear score already passed through its Platt calibration,
    so no separate calibrator object is needed (and none has to be trusted at load time).
    """
    classifier = LogisticRegression()
    classifier.classes_ = np.array([0, 1])
    classifier.coef_ = np.asarray(coef, dtype=np.float64).reshape(1, -1)
    classifier.intercept_ = np.array([float(intercept)])
    classifier.n_features_in_ = classifier.coef_.shape[1]
    classifier.n_iter_ = np.array([0], dtype=np.int32)
    return Pipeline([("features", features), ("classifier", classifier)])
