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

Where the time goes, and how it is kept down: Arrow encodes the columns and splits the titles into words
in C++ (no Python loop over rows); terms are numbered in sorted order, so a fitted vocabulary keeps every
row's indices sorted without sorting again; each block is weighted once per distinct document, and the
rows of all blocks are gathered into the final matrix in one pass (`_assemble`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize

from imdb_assets.model.pipeline import FeatureSettings, build_features, fixed_vocabulary_features


class _TermCounts:
    """Counts of every term seen in some documents: a CSR matrix (documents x terms, sorted indices) and
    the term strings, numbered in sorted order (the order of a fitted vocabulary's columns)."""

    def __init__(self, counts: sparse.csr_matrix, terms: np.ndarray):
        self.counts = counts
        self.terms = terms


def _csr(rows: np.ndarray, columns: np.ndarray, n_rows: int, n_columns: int, values=None) -> sparse.csr_matrix:
    data = np.ones(len(rows), dtype=np.int64) if values is None else values
    matrix = sparse.csr_matrix((data, (rows, columns)), shape=(n_rows, n_columns), dtype=np.int64)
    matrix.sum_duplicates()  # also sorts the indices of each row, as the vectorizers' output is
    return matrix


def _sorted_numbering(terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(the terms sorted as a vectorizer sorts its vocabulary, the sorted position of each term).

    With terms numbered in sorted order, a fitted vocabulary keeps their relative order, so moving each
    term to its vocabulary column keeps every row's indices sorted: no second sort of the counts."""
    terms = np.array(terms, dtype=object)
    try:
        # Arrow compares the UTF-8 bytes, which orders strings by code point, as Python does (~5x faster).
        order = pc.sort_indices(pa.array(terms, type=pa.string())).to_numpy()
    except (pa.ArrowException, UnicodeError):  # e.g. a lone surrogate, which UTF-8 cannot hold
        order = np.argsort(terms, kind="stable")
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order), dtype=np.int64)
    return terms[order], position


def _string_array(column: pd.Series) -> pa.Array:
    """The column as an Arrow string array of the text of each value (`str(value)`, as the column is
    vectorized); object and Arrow-backed string columns convert without a Python loop."""
    try:
        values = pa.array(column)
    except (pa.ArrowException, TypeError, ValueError):  # mixed or non-string objects
        values = None
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if (
        values is None
        or values.null_count
        or not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type))
    ):
        text = column.astype(str).to_numpy(dtype=object)
        try:
            values = pa.array(text, type=pa.string())
        except UnicodeEncodeError:
            row = next(i for i, value in enumerate(text) if not value.isascii() and _not_utf8(value))
            raise ValueError(
                f"column {column.name!r} row {column.index[row]} holds text that is not valid Unicode: {text[row]!r}"
            ) from None
    return values


def _not_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class _Documents:
    """A column's distinct values (each analyzed once) and, lazily, their white-space separated words."""

    def __init__(self, column: pd.Series):
        encoded = pc.dictionary_encode(_string_array(column))
        self.row_codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)  # row -> distinct document
        self._distinct = encoded.dictionary
        self.n_distinct = len(self._distinct)
        self._words = None

    def distinct(self) -> list[str]:
        """The distinct documents as Python strings (for analyzers run per document: genre lists)."""
        return self._distinct.to_pylist()

    def words(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(document of each word occurrence, code of the word, distinct words), in order.

        The words are `str.split()`'s, split by Arrow in C++: it splits on the same white space (every
        code point, held by the tests) and, unlike `str.split`, keeps empty strings at the ends, dropped
        here. (Exactness needs only that no word is split at a character that is not white space.)"""
        if self._words is None:
            lists = pc.utf8_split_whitespace(self._distinct)
            words = pc.list_flatten(lists)
            documents = pc.list_parent_indices(lists)
            nonempty = pc.not_equal(pc.utf8_length(words), 0)
            encoded = pc.dictionary_encode(pc.filter(words, nonempty))
            self._words = (
                pc.filter(documents, nonempty).to_numpy(zero_copy_only=False).astype(np.int64),
                encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64),
                np.array(encoded.dictionary.to_pylist(), dtype=object),
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
    terms, position = _sorted_numbering(list(term_ids))
    by_word = _csr(
        np.asarray(word_rows, dtype=np.int64), position[np.asarray(word_terms, dtype=np.int64)], len(words), len(terms)
    )
    by_row = _csr(rows, codes, documents.n_distinct, len(words))
    counts = (by_row @ by_word).tocsr()
    counts.sort_indices()
    return _TermCounts(counts, terms)


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
    terms, position = _sorted_numbering(np.concatenate(names).tolist() if names else [])
    columns = position[np.concatenate(pieces_terms)] if names else np.array([], dtype=np.int64)
    counts = _csr(np.concatenate(pieces_rows) if names else columns, columns, documents.n_distinct, n_terms)
    return _TermCounts(counts, terms)


def _per_document_counts(vectorizer: CountVectorizer, documents: _Documents) -> _TermCounts:
    """The vectorizer's analyzer on each distinct document (genre lists: a few thousand distinct values)."""
    analyze = vectorizer.build_analyzer()
    term_ids: dict[str, int] = {}
    doc_rows, doc_terms = [], []
    for doc_code, document in enumerate(documents.distinct()):
        for term in analyze(document):
            doc_rows.append(doc_code)
            doc_terms.append(term_ids.setdefault(term, len(term_ids)))
    terms, position = _sorted_numbering(list(term_ids))
    by_document = _csr(
        np.asarray(doc_rows, dtype=np.int64),
        position[np.asarray(doc_terms, dtype=np.int64)],
        documents.n_distinct,
        len(terms),
    )
    return _TermCounts(by_document, terms)


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
    # Presence of each term: the counts' structure with ones (no copy of the indices).
    present = sparse.csr_matrix(
        (np.ones(counts.nnz, dtype=np.int64), counts.indices, counts.indptr), shape=counts.shape
    )
    dfs = np.asarray(present.T @ fit_weights).ravel().astype(np.int64)
    tfs = dfs if vectorizer.binary else np.asarray(counts.T @ fit_weights).ravel().astype(np.int64)
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
        # Our copy of CountVectorizer's max_features rule, not a call into it: the public path (fitting with
        # max_features) would analyze every row again; this expression breaks ties as it does (tests hold it).
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
    index_dtype = np.int32 if max(n_columns, counts.nnz) <= np.iinfo(np.int32).max else np.int64
    columns = column_of_term.astype(index_dtype)[counts.indices]
    keep = columns >= 0
    if keep.all():  # every term seen is in the vocabulary (typical for the character n-grams)
        data, indptr = counts.data, counts.indptr.astype(index_dtype)
    else:
        kept_before = np.zeros(len(keep) + 1, dtype=index_dtype)
        np.cumsum(keep, out=kept_before[1:])
        data, columns, indptr = counts.data[keep], columns[keep], kept_before[counts.indptr]
    matrix = sparse.csr_matrix((data, columns, indptr), shape=(counts.shape[0], n_columns))
    # A no-op check when the vocabulary keeps the terms' sorted order (always, for a fitted vocabulary).
    matrix.sort_indices()
    return matrix


def _distinct_block(
    vectorizer: CountVectorizer, term_counts: _TermCounts, column_of_term: np.ndarray | None = None
) -> sparse.csr_matrix:
    """What `vectorizer.transform` gives for each *distinct* document (a row's weights depend on its
    document only)."""
    if column_of_term is None:
        column_of_term = pd.Series(term_counts.terms).map(vectorizer.vocabulary_).fillna(-1).to_numpy(dtype=np.int64)
    counts = _vocabulary_counts(term_counts, column_of_term, len(vectorizer.vocabulary_))
    if vectorizer.binary:  # new data: the counts may share theirs with `term_counts`
        counts = sparse.csr_matrix((np.ones_like(counts.data), counts.indices, counts.indptr), shape=counts.shape)
    if isinstance(vectorizer, TfidfVectorizer):
        # Weighted in place on float copies of the counts (`astype` would copy the indices too).
        as_float = sparse.csr_matrix(
            (counts.data.astype(np.float64), counts.indices, counts.indptr), shape=counts.shape
        )
        counts = _tfidf_weighted(vectorizer, as_float)
    return sparse.csr_matrix(counts)


def _tfidf_weighted(vectorizer: TfidfVectorizer, counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """TfidfTransformer.transform's steps, in place and in its order, from the vectorizer's public settings
    and `idf_` (so the values are bit-identical): sublinear tf, times the idf, then each row normalized."""
    if vectorizer.sublinear_tf:
        np.log(counts.data, counts.data)
        counts.data += 1.0
    if vectorizer.use_idf:
        counts.data *= vectorizer.idf_[counts.indices]
    if vectorizer.norm is not None:
        counts = normalize(counts, norm=vectorizer.norm, copy=False)
    return counts


def _assemble(blocks: list[tuple[sparse.csr_matrix, np.ndarray]]) -> sparse.csr_matrix:
    """`sparse.hstack([block[codes] for block, codes in blocks])` in one gather, without the per-block
    row copies: row r is each block's row `codes[r]` side by side.

    The blocks are stacked into one matrix, their columns moved to their place in the result, and its
    rows are taken in the order (block 1's row for r, block 2's row for r, ...) for every r: each run of
    len(blocks) taken rows is one row of the result, with sorted indices since each block's are."""
    matrices = [block for block, _ in blocks]
    n_rows, n_blocks = len(blocks[0][1]), len(blocks)
    entries = sum(int(np.diff(block.indptr)[codes].sum()) for block, codes in blocks)
    column_offsets = np.cumsum([0, *(matrix.shape[1] for matrix in matrices)])
    row_offsets = np.cumsum([0, *(matrix.shape[0] for matrix in matrices)])
    entry_offsets = np.cumsum([0, *(matrix.nnz for matrix in matrices)])
    largest = max(entries, int(column_offsets[-1]), int(entry_offsets[-1]))
    index_dtype = np.int32 if largest <= np.iinfo(np.int32).max else np.int64
    data = np.concatenate([matrix.data for matrix in matrices])
    indices = np.concatenate(
        [matrix.indices.astype(index_dtype) + index_dtype(offset) for matrix, offset in zip(matrices, column_offsets)]
    )
    indptr = np.concatenate(
        [
            matrix.indptr[:-1].astype(index_dtype) + index_dtype(offset)
            for matrix, offset in zip(matrices, entry_offsets)
        ]
        + [entry_offsets[-1:].astype(index_dtype)]
    )
    stacked = sparse.csr_matrix((data, indices, indptr), shape=(int(row_offsets[-1]), int(column_offsets[-1])))
    taken_rows = np.column_stack([codes + offset for (_, codes), offset in zip(blocks, row_offsets)])
    taken = stacked[taken_rows.astype(index_dtype).ravel()]
    if taken.nnz != entries:
        raise RuntimeError(f"feature matrix assembly lost entries ({taken.nnz} of {entries})")
    return sparse.csr_matrix(
        (taken.data, taken.indices, np.ascontiguousarray(taken.indptr[::n_blocks])),
        shape=(n_rows, int(column_offsets[-1])),
    )


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
        fit_weights = np.bincount(documents[column].row_codes[fit_index], minlength=documents[column].n_distinct)
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
        (
            _distinct_block(features.named_transformers_[name], counts[name], columns_of_terms[name]),
            documents[column].row_codes,
        )
        for name, _, column in transformers
    ]
    return features, _assemble(blocks)


def transform_features(features: ColumnTransformer, frame: pd.DataFrame) -> sparse.csr_matrix:
    """`features.transform(frame)` for a fitted feature step of the pipeline's shape, each title analyzed once."""
    documents: dict[str, _Documents] = {}
    blocks = []
    for name, vectorizer, column in features.transformers_:
        if name == "remainder":
            continue
        if column not in documents:
            documents[column] = _Documents(frame[column])
        term_counts = _term_counts(vectorizer, documents[column])
        blocks.append((_distinct_block(vectorizer, term_counts), documents[column].row_codes))
    return _assemble(blocks)
