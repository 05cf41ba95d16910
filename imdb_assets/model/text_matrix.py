"""The feature step's matrix, computed per distinct word, title and genre list (pure scikit-learn + numpy).

scikit-learn's vectorizers run their analyzer in Python on every row: at IMDb's full size that is most
of the training time (the title character n-grams alone ~10 s), and the fit, the validation, test and
champion transforms each analyze the same titles again. Here every distinct word (and genre list) is
analyzed once, with the vectorizer's own preprocessor, tokenizer and analyzer, and the per-row counts are
assembled with sparse matrix products. The result is the *same* matrix as the vectorizers' (same
vocabulary, same idf, same float64 values in the same order, which the tests hold to exact equality), so
the fitted feature step that goes into the saved model is an ordinary `ColumnTransformer` of
Count/Tfidf vectorizers, and serving, the saved file and `predict` are unchanged.

Why the decomposition is exact: a word analyzer's tokens never contain white space, and `char_wb`
n-grams are taken within white-space separated words, so a title's tokens (or n-grams) are those of its
words in order; lower-casing a word does not depend on its neighbours across white space.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from imdb_assets.model.pipeline import FeatureSettings, build_features, fixed_vocabulary_features


class _TermCounts:
    """Counts of every term seen in some documents: a CSR matrix (documents x terms) and the term strings."""

    def __init__(self, counts: sparse.csr_matrix, terms: np.ndarray):
        self.counts = counts
        self.terms = terms


def _csr(rows: np.ndarray, columns: np.ndarray, n_rows: int, n_columns: int, values=None) -> sparse.csr_matrix:
    data = np.ones(len(rows), dtype=np.int64) if values is None else values
    matrix = sparse.csr_matrix((data, (rows, columns)), shape=(n_rows, n_columns), dtype=np.int64)
    matrix.sum_duplicates()  # also sorts the indices of each row, as the vectorizers' output is
    return matrix


class _Documents:
    """A column's distinct values (each analyzed once) and, lazily, their white-space separated words."""

    def __init__(self, column: pd.Series):
        codes, distinct = pd.factorize(column.astype(str).to_numpy(dtype=object))
        self.row_codes = codes.astype(np.int64)  # row -> distinct document
        self.distinct = pd.Series(distinct, dtype=object)
        self._words = None

    def words(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(document of each word occurrence, code of the word, distinct words), in order."""
        if self._words is None:
            exploded = self.distinct.str.split().explode().dropna()
            codes, distinct = pd.factorize(exploded.to_numpy(dtype=object))
            self._words = (
                exploded.index.to_numpy(dtype=np.int64),
                codes.astype(np.int64),
                np.asarray(distinct, dtype=object),
            )
        return self._words


def _char_wb_counts(vectorizer: CountVectorizer, documents: _Documents) -> _TermCounts:
    """Documents x n-grams = (documents x words) @ (words x n-grams): each distinct word is analyzed once."""
    rows, codes, words = documents.words()
    analyze = vectorizer.build_analyzer()
    term_ids: dict[str, int] = {}
    word_rows, word_terms = [], []
    for word_code, word in enumerate(words):
        for gram in analyze(word):
            word_rows.append(word_code)
            word_terms.append(term_ids.setdefault(gram, len(term_ids)))
    by_word = _csr(
        np.asarray(word_rows, dtype=np.int64), np.asarray(word_terms, dtype=np.int64), len(words), len(term_ids)
    )
    by_row = _csr(rows, codes, len(documents.distinct), len(words))
    counts = (by_row @ by_word).tocsr()
    counts.sort_indices()
    return _TermCounts(counts, np.array(list(term_ids), dtype=object))


def _word_ngram_counts(vectorizer: CountVectorizer, documents: _Documents) -> _TermCounts:
    """Word n-grams from each document's token sequence; each distinct word is preprocessed and tokenized once."""
    min_n, max_n = vectorizer.ngram_range
    if vectorizer.stop_words is not None or max_n > 2:
        return _per_document_counts(vectorizer, documents)  # not needed by our features: the exact slow path
    rows, codes, words = documents.words()
    preprocess, tokenize = vectorizer.build_preprocessor(), vectorizer.build_tokenizer()
    token_ids: dict[str, int] = {}
    tokens_of_word = [[token_ids.setdefault(t, len(token_ids)) for t in tokenize(preprocess(w))] for w in words]
    lengths = np.fromiter((len(t) for t in tokens_of_word), dtype=np.int64, count=len(tokens_of_word))
    flat = np.fromiter((t for tokens in tokens_of_word for t in tokens), dtype=np.int64, count=int(lengths.sum()))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    # Each word occurrence expands to its tokens, in order.
    occurrence_lengths = lengths[codes]
    token_rows = np.repeat(rows, occurrence_lengths)
    offsets = np.arange(int(occurrence_lengths.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(occurrence_lengths) - occurrence_lengths, occurrence_lengths
    )
    token_codes = flat[np.repeat(starts[codes], occurrence_lengths) + offsets]
    tokens = np.array(list(token_ids), dtype=object)

    pieces_rows, pieces_terms, names = [], [], []
    n_terms = 0
    if min_n == 1:
        pieces_rows.append(token_rows)
        pieces_terms.append(token_codes)
        names.append(tokens)
        n_terms = len(tokens)
    if max_n == 2:
        same_row = token_rows[:-1] == token_rows[1:]
        pairs = token_codes[:-1][same_row] * len(tokens) + token_codes[1:][same_row]
        pair_codes, distinct_pairs = pd.factorize(pairs)
        first, second = np.divmod(distinct_pairs, len(tokens))
        pieces_rows.append(token_rows[:-1][same_row])
        pieces_terms.append(pair_codes.astype(np.int64) + n_terms)
        names.append(np.array([f"{a} {b}" for a, b in zip(tokens[first], tokens[second])], dtype=object))
        n_terms += len(distinct_pairs)
    terms = np.concatenate(names) if names else np.array([], dtype=object)
    counts = _csr(np.concatenate(pieces_rows), np.concatenate(pieces_terms), len(documents.distinct), n_terms)
    return _TermCounts(counts, terms)


def _per_document_counts(vectorizer: CountVectorizer, documents: _Documents) -> _TermCounts:
    """The vectorizer's analyzer on each distinct document (genre lists: a few thousand distinct values)."""
    analyze = vectorizer.build_analyzer()
    term_ids: dict[str, int] = {}
    doc_rows, doc_terms = [], []
    for doc_code, document in enumerate(documents.distinct):
        for term in analyze(document):
            doc_rows.append(doc_code)
            doc_terms.append(term_ids.setdefault(term, len(term_ids)))
    by_document = _csr(
        np.asarray(doc_rows, dtype=np.int64),
        np.asarray(doc_terms, dtype=np.int64),
        len(documents.distinct),
        len(term_ids),
    )
    return _TermCounts(by_document, np.array(list(term_ids), dtype=object))


def _term_counts(vectorizer: CountVectorizer, documents: _Documents) -> _TermCounts:
    """Counts of every term in each *distinct* document."""
    if callable(vectorizer.analyzer) or vectorizer.preprocessor is not None or vectorizer.tokenizer is not None:
        return _per_document_counts(vectorizer, documents)
    if vectorizer.analyzer == "char_wb":
        return _char_wb_counts(vectorizer, documents)
    if vectorizer.analyzer == "word":
        return _word_ngram_counts(vectorizer, documents)
    return _per_document_counts(vectorizer, documents)


def _fit_statistics(vectorizer: CountVectorizer, term_counts: _TermCounts, fit_weights: np.ndarray):
    """(document frequency, term frequency) of every term over the fitting rows, from the distinct
    documents weighted by how many fitting rows hold each (integers: exactly the per-row sums)."""
    counts = term_counts.counts
    if vectorizer.binary:
        counts = counts.copy()
        counts.data.fill(1)
    present = counts.copy()
    present.data = np.ones_like(present.data)
    dfs = np.asarray(present.T @ fit_weights).ravel().astype(np.int64)
    tfs = np.asarray(counts.T @ fit_weights).ravel().astype(np.int64)
    return dfs, tfs


def _fitted_vocabulary(
    vectorizer: CountVectorizer, terms: np.ndarray, dfs: np.ndarray, tfs: np.ndarray, n_documents: int
) -> np.ndarray:
    """Term ids of the vocabulary `vectorizer.fit` learns from the fitting rows, in its column order
    (CountVectorizer.fit_transform's rules: terms sorted, document-frequency bounds, max_features)."""
    present = np.flatnonzero(dfs > 0)
    order = present[np.argsort(terms[present], kind="stable")]  # sorted by term, as sklearn does
    dfs, tfs = dfs[order], tfs[order]
    max_df, min_df = vectorizer.max_df, vectorizer.min_df
    high = max_df if isinstance(max_df, (int, np.integer)) else max_df * n_documents
    low = min_df if isinstance(min_df, (int, np.integer)) else min_df * n_documents
    mask = (dfs <= high) & (dfs >= low)
    limit = vectorizer.max_features
    if limit is not None and mask.sum() > limit:
        # The same expression as CountVectorizer._limit_features, so ties are broken the same way.
        kept = (-tfs[mask]).argsort()[:limit]
        limited = np.zeros(len(dfs), dtype=bool)
        limited[np.where(mask)[0][kept]] = True
        mask = limited
    if not mask.any():
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    return order[mask]


def _smooth_idf(document_frequency: np.ndarray, n_documents: int, smooth: bool) -> np.ndarray:
    """TfidfTransformer.fit's idf, operation for operation (so the weights are bit-identical)."""
    df = document_frequency.astype(np.float64)
    df += float(smooth)
    n_documents += int(smooth)
    idf = np.full_like(df, fill_value=n_documents, dtype=np.float64)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0
    return idf


def _vocabulary_counts(term_counts: _TermCounts, column_of_term: np.ndarray, n_columns: int) -> sparse.csr_matrix:
    """The counts with each term moved to its vocabulary column (-1: not in the vocabulary, dropped)."""
    counts = term_counts.counts
    columns = column_of_term[counts.indices]
    keep = columns >= 0
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))[keep]
    indptr = np.zeros(counts.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=counts.shape[0]), out=indptr[1:])
    matrix = sparse.csr_matrix((counts.data[keep], columns[keep], indptr), shape=(counts.shape[0], n_columns))
    matrix.sort_indices()
    return matrix


def _block_matrix(
    vectorizer: CountVectorizer,
    term_counts: _TermCounts,
    documents: _Documents,
    column_of_term: np.ndarray | None = None,
) -> sparse.csr_matrix:
    """What `vectorizer.transform` gives for every row: a row's weights depend on its document only, so
    each distinct document is weighted once and rows copy theirs."""
    if column_of_term is None:
        column_of_term = pd.Series(term_counts.terms).map(vectorizer.vocabulary_).fillna(-1).to_numpy(dtype=np.int64)
    counts = _vocabulary_counts(term_counts, column_of_term, len(vectorizer.vocabulary_))
    if vectorizer.binary:
        counts.data.fill(1)
    if isinstance(vectorizer, TfidfVectorizer):
        counts = vectorizer._tfidf.transform(counts.astype(np.float64), copy=False)
    return sparse.csr_matrix(counts)[documents.row_codes]


def _fixed_feature_step(
    transformers, vocabularies: dict[str, list[str]], idfs: dict[str, np.ndarray]
) -> ColumnTransformer:
    """A fitted ColumnTransformer whose vectorizers hold these vocabularies and idf weights."""
    fixed = [
        (name, clone(vectorizer).set_params(vocabulary=vocabularies[name]), column)
        for name, vectorizer, column in transformers
    ]
    features = fixed_vocabulary_features(fixed)
    for name, idf in idfs.items():
        features.named_transformers_[name].idf_ = idf
    return features


def fit_feature_matrix(
    settings: FeatureSettings, frame: pd.DataFrame, fit_rows: np.ndarray
) -> tuple[ColumnTransformer, sparse.csr_matrix]:
    """The feature step fitted on `frame[fit_rows]`, and its matrix for every row of `frame`.

    The same as `build_features(settings).fit(frame[fit_rows])` and `.transform(frame)`, each title
    analyzed once."""
    fit_index = np.flatnonzero(np.asarray(fit_rows, dtype=bool))
    transformers = build_features(settings).transformers
    documents = {column: _Documents(frame[column]) for column in {column for _, _, column in transformers}}
    counts, vocabularies, idfs, columns_of_terms = {}, {}, {}, {}
    for name, vectorizer, column in transformers:
        term_counts = _term_counts(vectorizer, documents[column])
        fit_weights = np.bincount(documents[column].row_codes[fit_index], minlength=len(documents[column].distinct))
        dfs, tfs = _fit_statistics(vectorizer, term_counts, fit_weights)
        vocabulary_terms = _fitted_vocabulary(vectorizer, term_counts.terms, dfs, tfs, len(fit_index))
        column_of_term = np.full(len(term_counts.terms), -1, dtype=np.int64)
        column_of_term[vocabulary_terms] = np.arange(len(vocabulary_terms))
        vocabularies[name] = term_counts.terms[vocabulary_terms].tolist()
        if isinstance(vectorizer, TfidfVectorizer) and vectorizer.use_idf:
            idfs[name] = _smooth_idf(dfs[vocabulary_terms], len(fit_index), vectorizer.smooth_idf)
        counts[name], columns_of_terms[name] = term_counts, column_of_term
    features = _fixed_feature_step(transformers, vocabularies, idfs)
    blocks = [
        _block_matrix(features.named_transformers_[name], counts[name], documents[column], columns_of_terms[name])
        for name, _, column in transformers
    ]
    return features, sparse.hstack(blocks, format="csr")


def transform_features(features: ColumnTransformer, frame: pd.DataFrame) -> sparse.csr_matrix:
    """`features.transform(frame)` for a fitted feature step of the pipeline's shape, each title analyzed once."""
    documents: dict[str, _Documents] = {}
    blocks = []
    for name, vectorizer, column in features.transformers_:
        if name == "remainder":
            continue
        column_documents = documents.setdefault(column, _Documents(frame[column]))
        blocks.append(_block_matrix(vectorizer, _term_counts(vectorizer, column_documents), column_documents))
    return sparse.hstack(blocks, format="csr")
