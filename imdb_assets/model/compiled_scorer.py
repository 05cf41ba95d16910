"""The one scoring path of a saved model: compiled from its file, pure numpy, checked against scikit-learn.

Promotion (`model/champion.py`), `imdb-assets predict` (`file_model.py`) and the HTTP server
(`batch_predictor.py` via `model_holder.py`) all score a stored model with the `CompiledScorer` built
here from the model file (`model/serialization.py`: vectorizer settings and vocabularies, idf weights,
calibrated coefficients). No scikit-learn, pandas or scipy is imported to score: `predict` answers after
importing numpy alone, and the server scores a 1,000-row batch with flat numpy arrays, caching the
term -> column lookup per word (character n-grams never cross white space) and per genre list.

`load_compiled(store, version, check=True)` also rebuilds the scikit-learn pipeline from the same file
and compares the two on probe rows (`PROBE_TITLES` x the model's genres, unknown genres and empty
values included); any disagreement beyond rounding refuses the model in one line, so a change of the
file format or of scikit-learn can never change an answer silently. Promotion and the server load with
the check; `predict` skips it for its start-up time (the model it scores passed it when it was promoted).
The scorer's analyzers re-state scikit-learn's (`text_analyzers.py`; tests hold them equal), and a file
holding any setting they do not re-state is refused, never scored some other way.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

import numpy as np

from imdb_assets.model.store import ARTIFACT_READ_ERRORS, LoadedModel, ModelArtifactError, ModelStore
from imdb_assets.model.text_analyzers import TOKENIZERS, Analyzer, analyzer_for

FORMAT = "imdb-assets-linear-text-model/1"  # serialization.FORMAT, the one format this reader knows
FEATURE_COLUMNS = ("title_clean", "genres")
GENRE_COLUMN = "genres"
_NORMS = ("l1", "l2", None)

# Bounded caches: a flood of made-up words or genre lists costs at most a few tens of MB.
WORD_CACHE_SIZE = 50_000
WHOLE_VALUE_CACHE_SIZE = 4_096
# Sums of the same terms in another order differ in the last bits; anything larger is a real mismatch.
AGREEMENT_TOLERANCE = 1e-9
PROBE_TITLES = (
    "the matrix", "part 2", "love", "a", "", "zzqx qqv", "the lord of the rings the return of the king",
    "night of the living dead", "2001 a space odyssey", "star wars episode 4 a new hope", "x", "the the the",
    "ночь", "千と千尋の神隠し", "amelie 2", "a  b\tc", "l'enfer", "9",
)  # fmt: skip


class _Block:
    """One saved vectorizer: text -> vocabulary columns -> weights, and its slice of the coefficients."""

    def __init__(self, spec: dict, analyze: Analyzer, vocabulary: dict[str, int], coef: np.ndarray, tfidf: dict):
        self.column = spec["column"]
        self.width = len(vocabulary)
        self.coef = coef
        self.binary = bool(spec["params"]["binary"])
        self.sublinear_tf = tfidf.get("sublinear_tf", False)
        self.idf = tfidf.get("idf")
        self.norm = tfidf.get("norm")

        def columns_of(text: str) -> tuple[int, ...]:
            return tuple(vocabulary[term] for term in analyze(text) if term in vocabulary)

        if self.column == GENRE_COLUMN:  # a few hundred genre lists: cached whole
            whole = lru_cache(maxsize=WHOLE_VALUE_CACHE_SIZE)(columns_of)
            self.column_parts = lambda text: (whole(text),)
        elif spec["params"].get("analyzer") == "char_wb":
            # char_wb n-grams are taken within white-space separated words: a title's are its words'.
            per_word = lru_cache(maxsize=WORD_CACHE_SIZE)(columns_of)
            self.column_parts = lambda text: list(map(per_word, text.split()))
        else:
            self.column_parts = lambda text: (columns_of(text),)

    def decision_terms(self, texts: Sequence[str]) -> np.ndarray:
        """Per row, this block's share of the linear score: the vectorizer's output row (counts or binary,
        sublinear tf, idf, row norm) times the coefficients, for the whole batch in flat arrays."""
        parts_per_row = [self.column_parts(text) for text in texts]
        n_rows = len(parts_per_row)
        lengths = np.fromiter((sum(map(len, parts)) for parts in parts_per_row), dtype=np.int64, count=n_rows)
        columns = np.fromiter(chain.from_iterable(chain.from_iterable(parts_per_row)), dtype=np.int64, count=int(lengths.sum()))
        if not len(columns):
            return np.zeros(n_rows)
        # (row, column) pairs sorted and counted: each row's terms in column order, as the sparse row is.
        keys, counts = np.unique(np.repeat(np.arange(n_rows, dtype=np.int64), lengths) * self.width + columns, return_counts=True)
        rows, columns = np.divmod(keys, self.width)
        weights = np.ones(len(columns)) if self.binary else counts.astype(np.float64)
        if self.sublinear_tf:
            weights = np.log(weights) + 1.0
        if self.idf is not None:
            weights *= self.idf[columns]
        if self.norm is not None:
            squares = np.abs(weights) if self.norm == "l1" else weights * weights
            per_row = np.bincount(rows, weights=squares, minlength=n_rows)
            if self.norm == "l2":
                per_row = np.sqrt(per_row)
            per_row[per_row == 0.0] = 1.0  # an empty row stays all zeros, as in scikit-learn
            weights /= per_row[rows]
        return np.bincount(rows, weights=weights * self.coef[columns], minlength=n_rows)


def _expit(x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))
    e = np.exp(x[~positive])  # the other form for negative x: exp(-x) would overflow far out
    out[~positive] = e / (1.0 + e)
    return out


class CompiledScorer:
    """P(enjoy) = sigmoid(sum of every block's decision terms + intercept) for batches of rows."""

    def __init__(self, blocks: list[_Block], intercept: float):
        self.blocks = blocks
        self.intercept = intercept
        self.columns = tuple(sorted({block.column for block in blocks}))

    def __call__(self, columns: dict[str, Sequence[str]]) -> np.ndarray:
        """{column: values} -> P(enjoy) per row (columns: `title_clean` normalised titles, `genres` comma-joined)."""
        n_rows = len(next(iter(columns.values())))
        decision = np.full(n_rows, self.intercept)
        for block in self.blocks:
            decision += block.decision_terms(columns[block.column])
        return _expit(decision)

    def one(self, title_clean: str, genres: str) -> float:
        return float(self({"title_clean": [title_clean], "genres": [genres]})[0])


def _vocabulary(terms) -> dict[str, int] | None:
    if not isinstance(terms, list) or not terms or not all(isinstance(term, str) for term in terms):
        return None
    vocabulary = {term: column for column, term in enumerate(terms)}
    return vocabulary if len(vocabulary) == len(terms) else None


def _tfidf_settings(params: dict, idf: np.ndarray | None, width: int) -> dict | None:
    """sublinear_tf, idf and norm of a TF-IDF block, or None when one is missing or not understood."""
    use_idf, sublinear_tf, norm = params.get("use_idf"), params.get("sublinear_tf"), params.get("norm")
    if not (isinstance(use_idf, bool) and isinstance(sublinear_tf, bool)) or norm not in _NORMS:
        return None
    if use_idf and (idf is None or idf.shape != (width,)):
        return None
    return {"sublinear_tf": sublinear_tf, "idf": idf if use_idf else None, "norm": norm}


def _block(spec: dict, index: int, arrays: dict[str, np.ndarray], coef: np.ndarray) -> _Block | None:
    """A block from its saved spec and the coefficients from its first column on; None when not understood."""
    params, tokenizer = spec.get("params"), spec.get("tokenizer")
    if not isinstance(params, dict) or spec.get("column") not in FEATURE_COLUMNS or tokenizer not in (None, *TOKENIZERS):
        return None
    vocabulary, analyze = _vocabulary(spec.get("vocabulary")), analyzer_for(params, tokenizer)
    if vocabulary is None or analyze is None or not isinstance(params.get("binary"), bool) or len(coef) < len(vocabulary):
        return None
    width = len(vocabulary)
    if spec.get("kind") == "count":
        tfidf = {}
    elif spec.get("kind") == "tfidf":
        tfidf = _tfidf_settings(params, arrays.get(f"idf_{index}"), width)
        if tfidf is None:
            return None
    else:
        return None
    return _Block(spec, analyze, vocabulary, coef[:width], tfidf)


def _read_file(artifact: bytes) -> tuple[list, dict[str, np.ndarray]] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(artifact)) as archive:
            spec = json.loads(archive.read("spec.json"))
            loaded = np.load(io.BytesIO(archive.read("arrays.npz")), allow_pickle=False)
            if not isinstance(loaded, np.lib.npyio.NpzFile):
                return None
            with loaded as npz:
                arrays = {key: npz[key] for key in npz.files}
    except ARTIFACT_READ_ERRORS:  # damaged: the full load says how, in one line
        return None
    if not isinstance(spec, dict) or spec.get("format") != FORMAT or not isinstance(spec.get("blocks"), list):
        return None
    return spec["blocks"], arrays


def compile_artifact(artifact: bytes) -> CompiledScorer | None:
    """The compiled scorer of a model file, or None when the file holds anything this module does not read."""
    read = _read_file(artifact)
    if read is None:
        return None
    specs, arrays = read
    coef, intercept = arrays.get("coef"), arrays.get("intercept")
    if coef is None or intercept is None or coef.ndim != 1 or intercept.shape != (1,) or not specs:
        return None
    if not all(array.dtype.kind == "f" and np.isfinite(array).all() for array in arrays.values()):
        return None
    names = [str(spec.get("name")) for spec in specs if isinstance(spec, dict)]
    if len(set(names)) != len(specs):  # the full load refuses repeated names: both refuse the same files
        return None
    blocks, start = [], 0
    for index, spec in enumerate(specs):
        block = _block(spec, index, arrays, coef[start:].astype(np.float64)) if isinstance(spec, dict) else None
        if block is None:
            return None
        blocks.append(block)
        start += block.width
    if start != len(coef):
        return None
    return CompiledScorer(blocks, float(intercept[0]))


def probe_columns(known_genres: Sequence[str]) -> dict[str, list[str]]:
    """Probe rows for the load check: every probe title, with known, unknown and no genres."""
    genres = sorted(known_genres) or ["Drama"]
    values = [",".join(sorted({genres[i % len(genres)], genres[(3 * i + 1) % len(genres)]})) for i in range(len(PROBE_TITLES))]
    values[0], values[1] = "", "NotAGenre"
    return {"title_clean": list(PROBE_TITLES), "genres": values}


def disagreement(scorer: CompiledScorer, pipeline, known_genres: Sequence[str]) -> float:
    """The largest difference between the compiled scorer and `pipeline.predict_proba` on the probe rows."""
    import pandas as pd  # here: only a checked load pays for pandas and scikit-learn

    probe = probe_columns(known_genres)
    expected = pipeline.predict_proba(pd.DataFrame(probe))[:, 1]
    return float(np.max(np.abs(expected - scorer(probe))))


@dataclass(frozen=True)
class CompiledModel:
    """A stored model ready to score: its version, record and compiled scorer."""

    version: str
    record: dict
    score: Callable[[dict[str, Sequence[str]]], np.ndarray]
    checked: bool  # compared with scikit-learn's predict_proba on the probe rows at load

    @property
    def threshold(self) -> float:
        return float(self.record.get("threshold", 0.5))

    @property
    def known_genres(self) -> tuple[str, ...]:
        return tuple(self.record.get("known_genres", []))


def compiled_from(loaded: LoadedModel, artifact: bytes, name: str, where: str | None = None) -> CompiledModel:
    """The compiled scorer of `artifact`, checked against `loaded.pipeline` (the same file, rebuilt by
    scikit-learn); a file it cannot read, or a disagreement, is a one-line `ModelArtifactError`."""
    scorer = compile_artifact(artifact)
    if scorer is None:
        raise ModelArtifactError(
            loaded.version, name, "holds settings the compiled scorer does not read; retrain it with this version", where
        )
    worst = disagreement(scorer, loaded.pipeline, loaded.known_genres)
    if not worst <= AGREEMENT_TOLERANCE:
        raise ModelArtifactError(
            loaded.version,
            name,
            f"scores differently compiled and in scikit-learn (by up to {worst:.3g} on probe rows); refusing to use it",
            where,
        )
    return CompiledModel(loaded.version, loaded.record, scorer, checked=True)


def load_compiled(store: ModelStore, version: str, check: bool = True) -> CompiledModel:
    """The stored model `version`, compiled; with `check`, also rebuilt by scikit-learn and compared."""
    record = store.record(version)
    name, artifact = store.read_artifact(version, record)  # name, folder and sha256 checked, one-line errors
    where = store.location(f"{version}/{name}")
    if check:
        return compiled_from(store.load(version), artifact, name, where)
    scorer = compile_artifact(artifact)
    if scorer is None:
        store.load(version)  # a damaged file gets the full load's own one-line error
        raise ModelArtifactError(
            version, name, "holds settings the compiled scorer does not read; retrain it with this version", where
        )
    return CompiledModel(version, record, scorer, checked=False)
