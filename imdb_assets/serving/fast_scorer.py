"""A fast, exact re-reading of the fitted text pipeline for serving (pure numpy/scipy, no Dagster).

`pipeline.predict_proba` spends most of a single-row call in scikit-learn's input validation
(~8 ms) and most of a 1,000-row batch in Python-level character n-gram counting (~80 ms). The
serving targets (p50 <= 5 ms, >= 20,000 rows/s) need neither: this module reads the fitted
vocabularies, idf weights and coefficients once and scores whole batches with flat numpy arrays,
caching the n-gram -> column lookup per word (titles share words, never whole strings).

Only the pipeline shape we train is compiled (a ColumnTransformer of Count/Tfidf vectorizers, each on
one text column, into a binary LogisticRegression). Anything else returns None and the caller falls back to
`pipeline.predict_proba`; `compile_scorer` also checks the compiled scorer against the pipeline on
probe rows and refuses it on any disagreement, so a future model change can cost speed, never
correctness.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import chain, pairwise

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import expit
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

logger = logging.getLogger(__name__)

# Scores a batch: {column name: list of strings} -> P(label == 1) per row.
Scorer = Callable[[dict[str, Sequence[str]]], np.ndarray]

# Bounded caches: a flood of made-up words or genre lists costs at most a few tens of MB.
WORD_CACHE_SIZE = 50_000
WHOLE_VALUE_CACHE_SIZE = 4_096
# Sums of the same terms in another order differ in the last bits; anything larger is a real mismatch.
AGREEMENT_TOLERANCE = 1e-9
PROBE_TITLES = (
    "the matrix", "part 2", "love", "a", "", "zzqx qqv", "the lord of the rings the return of the king",
    "night of the living dead", "2001 a space odyssey", "star wars episode 4 a new hope", "x", "the the the",
    "ночь", "千と千尋の神隠し", "amelie 2",
)


def pipeline_scorer(pipeline) -> Scorer:
    """The reference path: the fitted pipeline itself, one `predict_proba` call per batch."""

    def score(columns: dict[str, Sequence[str]]) -> np.ndarray:
        return pipeline.predict_proba(pd.DataFrame({name: list(values) for name, values in columns.items()}))[:, 1]

    return score


def _plain_word_ngram_columns(vectorizer: CountVectorizer) -> Callable[[str], list[int]] | None:
    """sklearn's word analyzer (tokenize, then 1..n-grams joined by spaces) without its per-call layers
    of partials, decoding and preprocessing; None when the vectorizer uses anything beyond that."""
    if vectorizer.analyzer != "word" or any(
        v is not None for v in (vectorizer.preprocessor, vectorizer.tokenizer, vectorizer.stop_words, vectorizer.strip_accents)
    ):
        return None
    tokenize = vectorizer.build_tokenizer()
    lowercase = vectorizer.lowercase
    min_n, max_n = vectorizer.ngram_range
    lookup = vectorizer.vocabulary_.get

    def columns_of(text: str) -> list[int]:
        tokens = tokenize(text.lower() if lowercase else text)
        grams = list(tokens) if min_n == 1 else []
        for n in range(max(2, min_n), max_n + 1):
            grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return [column for column in map(lookup, grams) if column is not None]

    return columns_of


class _VectorizerBlock:
    """One fitted Count/Tfidf vectorizer re-read as: text -> vocabulary columns -> weighted sparse rows."""

    def __init__(self, vectorizer: CountVectorizer, column: str, few_distinct_values: bool = False):
        self.column = column
        self.vocabulary = vectorizer.vocabulary_
        self.width = len(self.vocabulary)
        self.binary = vectorizer.binary
        is_tfidf = isinstance(vectorizer, TfidfVectorizer)
        self.sublinear_tf = is_tfidf and vectorizer.sublinear_tf
        self.idf = vectorizer.idf_ if is_tfidf and vectorizer.use_idf else None
        self.norm = vectorizer.norm if is_tfidf else None
        analyze = vectorizer.build_analyzer()
        vocabulary = self.vocabulary

        def columns_of(text: str) -> tuple[int, ...]:
            return tuple(vocabulary[f] for f in analyze(text) if f in vocabulary)

        # char_wb n-grams never cross a word boundary (sklearn splits on whitespace first), so a title's
        # n-grams are its words' n-grams: cache per word. Safe while preprocessing is only lower-casing.
        per_word = vectorizer.analyzer == "char_wb" and vectorizer.preprocessor is None and vectorizer.strip_accents is None
        # `column_parts(text)`: the text's vocabulary columns as a few sequences (one per word for char_wb).
        if few_distinct_values:  # e.g. genre lists: a few hundred combinations, worth caching whole
            whole = lru_cache(maxsize=WHOLE_VALUE_CACHE_SIZE)(columns_of)
            self.column_parts = lambda text: (whole(text),)
        elif per_word:
            word_columns = lru_cache(maxsize=WORD_CACHE_SIZE)(columns_of)
            self.column_parts = lambda text: list(map(word_columns, text.split()))
        else:
            plain = _plain_word_ngram_columns(vectorizer) or columns_of
            self.column_parts = lambda text: (plain(text),)

    def decision_terms(self, texts: Sequence[str], coef: np.ndarray) -> np.ndarray:
        """Per row, this block's share of the linear score: sum over its columns of weight * coefficient.

        The same arithmetic as the vectorizer's transform (counts, binary, sublinear tf, idf, row norm)
        done on flat (row, column) arrays for the whole batch instead of per document in Python.
        """
        parts_per_row = [self.column_parts(text) for text in texts]
        n_rows = len(parts_per_row)
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        lengths = (sum(map(len, parts)) for parts in parts_per_row)
        np.cumsum(np.fromiter(lengths, dtype=np.int64, count=n_rows), out=indptr[1:])
        all_columns = chain.from_iterable(chain.from_iterable(parts_per_row))
        cols = np.fromiter(all_columns, dtype=np.int64, count=int(indptr[-1]))
        counts = sp.csr_array((np.ones(len(cols)), cols, indptr), shape=(n_rows, self.width))
        counts.sum_duplicates()  # adds up a row's repeated columns: the term counts
        rows = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(counts.indptr))
        cols = counts.indices
        weights = np.ones(len(cols)) if self.binary else counts.data
        if self.sublinear_tf:
            weights = np.log(weights) + 1.0
        if self.idf is not None:
            weights *= self.idf[cols]
        if self.norm is not None:
            per_row_norm = np.bincount(rows, weights=np.abs(weights) if self.norm == "l1" else weights * weights, minlength=n_rows)
            if self.norm == "l2":
                per_row_norm = np.sqrt(per_row_norm)
            per_row_norm[per_row_norm == 0.0] = 1.0  # an empty row stays all zeros, as in sklearn
            weights /= per_row_norm[rows]
        return np.bincount(rows, weights=weights * coef[cols], minlength=n_rows)


class _CompiledScorer:
    """P(label == 1) = expit(sum of every block's decision terms + intercept), as LogisticRegression does."""

    def __init__(self, blocks: list[_VectorizerBlock], classifier: LogisticRegression):
        self.blocks = blocks
        offsets = np.cumsum([0] + [b.width for b in blocks])
        coef = classifier.coef_.ravel()
        self.block_coefs = [coef[start:end] for start, end in pairwise(offsets)]
        self.intercept = float(classifier.intercept_[0])

    def __call__(self, columns: dict[str, Sequence[str]]) -> np.ndarray:
        decision = np.full(len(next(iter(columns.values()))), self.intercept)
        for block, coef in zip(self.blocks, self.block_coefs):
            decision += block.decision_terms(columns[block.column], coef)
        return expit(decision)


def _blocks_of(features: ColumnTransformer, categorical_column: str) -> list[_VectorizerBlock] | None:
    if not (isinstance(features.remainder, str) and features.remainder == "drop"):
        return None
    blocks = []
    for name, transformer, column in features.transformers_:
        if name == "remainder" or transformer == "drop":
            continue
        if not isinstance(transformer, CountVectorizer) or not isinstance(column, str) or transformer.input != "content":
            return None
        if isinstance(transformer, TfidfVectorizer) and transformer.norm not in ("l1", "l2", None):
            return None
        blocks.append(_VectorizerBlock(transformer, column, few_distinct_values=column == categorical_column))
    return blocks or None


def _probe_columns(columns: Sequence[str], genre_column: str, known_genres: Sequence[str]) -> dict[str, list[str]]:
    genres = list(known_genres) or ["Drama"]
    genre_values = [",".join(sorted({genres[i % len(genres)], genres[(3 * i + 1) % len(genres)]})) for i in range(len(PROBE_TITLES))]
    genre_values[0] = ""  # no genres at all
    genre_values[1] = "NotAGenre"
    probe = {}
    for column in columns:
        probe[column] = genre_values if column == genre_column else list(PROBE_TITLES)
    return probe


def compile_scorer(pipeline, known_genres: Sequence[str] = (), genre_column: str = "genres") -> Scorer | None:
    """A fast scorer equal to `pipeline.predict_proba(...)[:, 1]`, or None when the pipeline's shape is not
    one this module knows or the compiled scorer disagrees with the pipeline on probe rows."""
    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 2:
        return None
    features, classifier = pipeline.steps[0][1], pipeline.steps[1][1]
    if not isinstance(features, ColumnTransformer) or not isinstance(classifier, LogisticRegression):
        return None
    if len(classifier.classes_) != 2 or classifier.coef_.shape[0] != 1:
        return None
    blocks = _blocks_of(features, categorical_column=genre_column)
    if blocks is None or sum(b.width for b in blocks) != classifier.n_features_in_:
        return None
    scorer = _CompiledScorer(blocks, classifier)
    probe = _probe_columns(sorted({b.column for b in blocks}), genre_column, known_genres)
    expected = pipeline_scorer(pipeline)(probe)
    actual = scorer(probe)
    worst = float(np.max(np.abs(expected - actual)))
    if not worst <= AGREEMENT_TOLERANCE:
        logger.warning("compiled scorer disagrees with the pipeline by %.3g on probe rows; serving through the pipeline", worst)
        return None
    return scorer
