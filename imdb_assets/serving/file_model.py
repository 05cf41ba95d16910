"""The champion answered straight from its stored file with numpy: no scikit-learn, pandas or scipy.

`imdb-assets predict` asks one question and exits, and importing scikit-learn alone takes over a
second. The model file (`model/serialization.py`) is data: vectorizer settings and vocabularies, idf
weights and the logistic regression's coefficients. This module reads it and computes the probability
`pipeline.predict_proba` gives, with the vectorizers' analyzers re-stated in `text_analyzers.py` and
TF-IDF's arithmetic (counts or binary, sublinear tf, idf, row norm) done on one row in Python.

The file is read through the store (`read_artifact`), so its name, folder and checksum are checked as
for a full load and any problem there is the store's one-line error. Past that only the happy path is
taken: a setting not re-stated, or a file it cannot unpack, makes `load_champion` load the model the
full way instead, which either scores it (slower, same answer) or says in one line what is wrong. The
tests hold its answers equal to the pipeline's.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from imdb_assets.features.text import normalise_title
from imdb_assets.model.store import ARTIFACT_READ_ERRORS, LoadedModel, ModelStore
from imdb_assets.serving.predictor import Prediction, check_title, checked_genres, pipeline_probability, prediction_from
from imdb_assets.serving.text_analyzers import TOKENIZERS, Analyzer, analyzer_for

FORMAT = "imdb-assets-linear-text-model/1"  # serialization.FORMAT, the one format this reader knows
FEATURE_COLUMNS = ("title_clean", "genres")
_NORMS = ("l1", "l2", None)

# (normalised title, comma-joined genres) -> P(enjoy)
Score = Callable[[str, str], float]


@dataclass(frozen=True)
class _Block:
    """One vectorizer: text -> term columns -> weights, and their share of the linear score."""

    column: str
    analyze: Analyzer
    vocabulary: dict[str, int]
    coef: np.ndarray  # this block's slice of the coefficients
    binary: bool = False
    sublinear_tf: bool = False
    idf: np.ndarray | None = None
    norm: str | None = None

    def weights(self, text: str) -> dict[int, float]:
        """The vectorizer's output row as {column: weight}, in column order (sklearn sums in that order)."""
        vocabulary = self.vocabulary
        counts = Counter(vocabulary[term] for term in self.analyze(text) if term in vocabulary)
        weights = {column: 1.0 if self.binary else float(counts[column]) for column in sorted(counts)}
        if self.sublinear_tf:
            weights = {column: math.log(w) + 1.0 for column, w in weights.items()}
        if self.idf is not None:
            weights = {column: w * float(self.idf[column]) for column, w in weights.items()}
        if self.norm is not None:
            total = sum(abs(w) if self.norm == "l1" else w * w for w in weights.values())
            scale = math.sqrt(total) if self.norm == "l2" else total
            if scale:  # an empty row stays empty, as in sklearn
                weights = {column: w / scale for column, w in weights.items()}
        return weights

    def decision(self, text: str) -> float:
        return sum(w * float(self.coef[column]) for column, w in self.weights(text).items())


def _expit(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # the other form for negative x: exp(-x) would overflow far out
    return e / (1.0 + e)


def _vocabulary(terms) -> dict[str, int] | None:
    if not isinstance(terms, list) or not all(isinstance(term, str) for term in terms):
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
    """A block from its saved spec and the coefficients from its first column on."""
    params, tokenizer = spec.get("params"), spec.get("tokenizer")
    if not isinstance(params, dict) or spec.get("column") not in FEATURE_COLUMNS or tokenizer not in (None, *TOKENIZERS):
        return None
    vocabulary, analyze, binary = _vocabulary(spec.get("vocabulary")), analyzer_for(params, tokenizer), params.get("binary")
    if vocabulary is None or analyze is None or not isinstance(binary, bool) or len(coef) < len(vocabulary):
        return None
    width = len(vocabulary)
    shared = {"column": spec["column"], "analyze": analyze, "vocabulary": vocabulary, "coef": coef[:width], "binary": binary}
    if spec.get("kind") == "count":
        return _Block(**shared)
    tfidf = _tfidf_settings(params, arrays.get(f"idf_{index}"), width) if spec.get("kind") == "tfidf" else None
    return None if tfidf is None else _Block(**shared, **tfidf)


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


def _finite_floats(arrays: dict[str, np.ndarray]) -> bool:
    return all(array.dtype.kind == "f" and np.isfinite(array).all() for array in arrays.values())


def _distinct_names(specs: list) -> bool:
    """Scoring ignores block names, but the full load refuses repeated ones: both must refuse the same files."""
    names = [str(spec.get("name")) for spec in specs if isinstance(spec, dict)]
    return len(set(names)) == len(names)


def file_scorer(artifact: bytes) -> Score | None:
    """The probability function of a model file, or None when the file holds anything this module does not know."""
    read = _read_file(artifact)
    if read is None:
        return None
    specs, arrays = read
    coef, intercept = arrays.get("coef"), arrays.get("intercept")
    if coef is None or intercept is None or coef.ndim != 1 or intercept.shape != (1,) or not specs:
        return None
    if not _finite_floats(arrays) or not _distinct_names(specs):
        return None
    blocks, start = [], 0
    for index, spec in enumerate(specs):
        block = _block(spec, index, arrays, coef[start:]) if isinstance(spec, dict) else None
        if block is None:
            return None
        blocks.append(block)
        start += len(block.vocabulary)
    if start != len(coef):
        return None
    return partial(_score, tuple(blocks), float(intercept[0]))


def _score(blocks: Sequence[_Block], intercept: float, title_clean: str, genres: str) -> float:
    columns = {"title_clean": title_clean, "genres": genres}
    return _expit(intercept + sum(block.decision(columns[block.column]) for block in blocks))


@dataclass(frozen=True)
class FileModel:
    """A champion ready for one-shot answers: its record and a probability function."""

    version: str
    record: dict
    score: Score
    from_file: bool  # False: loaded the full way, scored through the pipeline

    @property
    def known_genres(self) -> list[str]:
        return list(self.record.get("known_genres", []))

    def predict(self, title: str, genres: Sequence[str] | str) -> Prediction:
        """What `predictor.predict` answers for this model."""
        check_title(title)
        genre_list = checked_genres(genres)
        probability = self.score(normalise_title(title), ",".join(genre_list))
        return prediction_from(probability, self.version, self.record, genre_list)


def _from_file(store: ModelStore, version: str) -> FileModel | None:
    record = store.record(version)
    _, artifact = store.read_artifact(version, record)  # the checks, and errors, of a full load
    score = file_scorer(artifact)
    return FileModel(version, record, score, from_file=True) if score else None


def _from_pipeline(model: LoadedModel) -> FileModel:
    return FileModel(model.version, model.record, partial(pipeline_probability, model.pipeline), from_file=False)


def load_champion(store: ModelStore) -> FileModel:
    """The champion, read from its file when it can be, else loaded the full way (which raises when it cannot)."""
    version = store.champion_version()
    model = _from_file(store, version) if version else None
    return model or _from_pipeline(store.load(version))
