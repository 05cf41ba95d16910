"""A safe file format for the finished model: JSON and numpy arrays in a zip, never pickle.

Unpickling runs whatever code the file names, so a model store that someone else can write to would be
a way into every process that loads a model. This format holds only data -- the vectorizers' settings
and vocabularies (JSON), their idf weights and the calibrated coefficients (`.npy`, read with
`allow_pickle=False`) -- and the loader rebuilds the one model shape we train (`pipeline.py`) from it.
The only callables a file may name are the two genre tokenizers of `TOKENIZERS`; anything else in a
file is refused.

Why not skops (a safe format for any scikit-learn object): on IMDb's full 330 k movies, skops took 160 s
to 520 s to write the fitted pipeline (it encodes every vocabulary entry as its own JSON node, 50-95 MB)
against a training budget of 60 s; this format writes the same model in about a second, and equal
models give byte-identical files.
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from imdb_assets.errors import one_line
from imdb_assets.model.artifact_format import ARTIFACT_NAME, FORMAT  # noqa: F401  (re-exported)
from imdb_assets.model.pipeline import (
    FEATURE_COLUMNS,
    calibrated_linear_pipeline,
    fixed_vocabulary_features,
    genre_pair_tokens,
    genre_tokens,
)
from imdb_assets.model.store import ARTIFACT_READ_ERRORS

TOKENIZERS = {"genre_tokens": genre_tokens, "genre_pair_tokens": genre_pair_tokens}
# Vectorizer settings that change what a fitted vectorizer outputs; all plain JSON values.
_SAVED_PARAMS = (
    "analyzer", "binary", "lowercase", "ngram_range", "token_pattern", "strip_accents",
    "norm", "use_idf", "smooth_idf", "sublinear_tf",
)  # fmt: skip
_KINDS = {"tfidf": TfidfVectorizer, "count": CountVectorizer}
_FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # equal models, equal bytes


class ModelFormatError(ValueError):
    """The file is not a model in this format (or holds something the loader will not build)."""


def _vectorizer_spec(name: str, vectorizer: CountVectorizer, column: str) -> dict:
    if type(vectorizer) not in (TfidfVectorizer, CountVectorizer):
        raise ModelFormatError(
            f"transformer {name!r} is a {type(vectorizer).__name__}: only Count/Tfidf vectorizers can be saved"
        )
    tokenizer = vectorizer.tokenizer
    tokenizer_name = None
    if tokenizer is not None:
        tokenizer_name = next((key for key, fn in TOKENIZERS.items() if fn is tokenizer), None)
        if tokenizer_name is None:
            raise ModelFormatError(
                f"transformer {name!r} uses tokenizer {tokenizer!r}, which is not one of {sorted(TOKENIZERS)}"
            )
    if vectorizer.preprocessor is not None or callable(vectorizer.analyzer):
        raise ModelFormatError(
            f"transformer {name!r} has a custom preprocessor or analyzer, which this format does not hold"
        )
    params = {key: getattr(vectorizer, key) for key in _SAVED_PARAMS if hasattr(vectorizer, key)}
    params["ngram_range"] = list(params["ngram_range"])
    vocabulary = vectorizer.vocabulary_
    return {
        "name": name,
        "column": column,
        "kind": "tfidf" if isinstance(vectorizer, TfidfVectorizer) else "count",
        "params": params,
        "tokenizer": tokenizer_name,
        "vocabulary": sorted(vocabulary, key=vocabulary.__getitem__),  # in column order
    }


def dumps(pipeline: Pipeline, metadata: dict | None = None) -> bytes:
    """The fitted pipeline (shape of `calibrated_linear_pipeline`) as bytes of this format."""
    features, classifier = pipeline.named_steps["features"], pipeline.named_steps["classifier"]
    if not isinstance(classifier, LogisticRegression) or classifier.coef_.shape[0] != 1:
        raise ModelFormatError(
            f"classifier is a {type(classifier).__name__}: only a binary LogisticRegression can be saved"
        )
    blocks, arrays = (
        [],
        {"coef": classifier.coef_.ravel().astype(np.float64), "intercept": classifier.intercept_.astype(np.float64)},
    )
    for name, vectorizer, column in features.transformers_:
        if name == "remainder":
            continue
        spec = _vectorizer_spec(name, vectorizer, column)
        if spec["kind"] == "tfidf" and vectorizer.use_idf:
            arrays[f"idf_{len(blocks)}"] = vectorizer.idf_.astype(np.float64)
        blocks.append(spec)
    spec = {"format": FORMAT, "blocks": blocks, "metadata": metadata or {}}
    array_bytes = io.BytesIO()
    np.savez(array_bytes, **arrays)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry, data in (
            ("spec.json", json.dumps(spec, sort_keys=True).encode()),
            ("arrays.npz", array_bytes.getvalue()),
        ):
            archive.writestr(
                zipfile.ZipInfo(entry, date_time=_FIXED_ZIP_TIME), data, compress_type=zipfile.ZIP_DEFLATED
            )
    return out.getvalue()


def _shown(value: object) -> str:
    """A value read from a file, quoted and cut short for a one-line message."""
    return one_line(repr(value), 60)


def _build_vectorizer(block: dict, index: int) -> CountVectorizer:
    kind = block.get("kind")
    if kind not in _KINDS:
        raise ModelFormatError(f"block {index} has kind {_shown(kind)}, not one of {sorted(_KINDS)}")
    params = block.get("params") or {}
    if not isinstance(params, dict):
        raise ModelFormatError(f"block {index} has settings that are not a JSON object")
    params = dict(params)
    unknown = sorted(set(params) - set(_SAVED_PARAMS))
    if unknown:
        raise ModelFormatError(f"block {index} has unexpected settings {_shown(unknown)}")
    if "ngram_range" in params:
        if not isinstance(params["ngram_range"], list):
            raise ModelFormatError(f"block {index} has an ngram_range that is not a list")
        params["ngram_range"] = tuple(params["ngram_range"])
    tokenizer_name = block.get("tokenizer")
    if tokenizer_name is not None and tokenizer_name not in TOKENIZERS:
        raise ModelFormatError(
            f"block {index} names tokenizer {_shown(tokenizer_name)}, not one of {sorted(TOKENIZERS)}"
        )
    vocabulary = block.get("vocabulary")
    if (
        not isinstance(vocabulary, list)
        or not vocabulary
        or not all(isinstance(term, str) for term in vocabulary)
        or len(set(vocabulary)) != len(vocabulary)
    ):
        raise ModelFormatError(f"block {index} has no valid vocabulary")
    # A fixed vocabulary: fitting it below only records the vocabulary, it learns nothing from data.
    return _KINDS[kind](**params, tokenizer=TOKENIZERS.get(tokenizer_name), vocabulary=vocabulary)


def _error_name(exc: BaseException) -> str:
    name = type(exc).__name__
    return f"{type(exc).__module__}.{name}" if name == "error" else name  # zlib.error, re.error


def _unpack(data: bytes) -> tuple[object, dict[str, np.ndarray]]:
    """The spec (parsed JSON) and the arrays of a model file; a damaged or foreign file is refused in one line."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            spec = json.loads(archive.read("spec.json"))
            loaded = np.load(io.BytesIO(archive.read("arrays.npz")), allow_pickle=False)
            if not isinstance(loaded, np.lib.npyio.NpzFile):
                raise ValueError("arrays.npz is a single array, not an archive of arrays")
            with loaded as npz:
                arrays = {key: npz[key] for key in npz.files}
    except ARTIFACT_READ_ERRORS as exc:
        raise ModelFormatError(f"not a model file ({_error_name(exc)}: {one_line(str(exc), 120)})") from None
    return spec, arrays


def _check_arrays(arrays: dict[str, np.ndarray]) -> None:
    for key, array in arrays.items():
        if array.dtype.kind != "f" or not np.isfinite(array).all():
            raise ModelFormatError(f"array {_shown(key)} does not hold finite floating-point numbers")


def _transformers(spec: dict) -> list[tuple]:
    blocks = spec.get("blocks")
    if not isinstance(blocks, list) or not blocks or not all(isinstance(block, dict) for block in blocks):
        raise ModelFormatError("its blocks are not a non-empty list of JSON objects")
    transformers = []
    for index, block in enumerate(blocks):
        if block.get("column") not in FEATURE_COLUMNS:
            column = _shown(block.get("column"))
            raise ModelFormatError(f"block {index} reads column {column}, not one of {FEATURE_COLUMNS}")
        transformers.append((str(block.get("name")), _build_vectorizer(block, index), block["column"]))
    return transformers


def _build(spec: dict, arrays: dict[str, np.ndarray]) -> Pipeline:
    transformers = _transformers(spec)
    features = fixed_vocabulary_features(transformers)
    for index, (name, vectorizer, _) in enumerate(transformers):
        fitted = features.named_transformers_[name]
        if isinstance(fitted, TfidfVectorizer) and fitted.use_idf:
            idf = arrays.get(f"idf_{index}")
            if idf is None or idf.shape != (len(fitted.vocabulary_),):
                raise ModelFormatError(
                    f"block {index} ({_shown(name)}) has no idf weights for its {len(fitted.vocabulary_)} terms"
                )
            fitted.idf_ = idf
    coef, intercept = arrays.get("coef"), arrays.get("intercept")
    width = sum(len(features.named_transformers_[name].vocabulary_) for name, _, _ in transformers)
    if coef is None or intercept is None or coef.shape != (width,) or intercept.shape != (1,):
        raise ModelFormatError(f"coefficients do not match the {width} feature columns")
    return calibrated_linear_pipeline(features, coef, float(intercept[0]))


def loads(data: bytes) -> Pipeline:
    """Rebuild the fitted pipeline from bytes written by `dumps` (data only: nothing is executed)."""
    spec, arrays = _unpack(data)
    if not isinstance(spec, dict):
        raise ModelFormatError(f"spec.json holds a JSON {type(spec).__name__}, not an object")
    if spec.get("format") != FORMAT:
        raise ModelFormatError(f"format {_shown(spec.get('format'))} is not {FORMAT}")
    _check_arrays(arrays)
    try:
        return _build(spec, arrays)
    except ModelFormatError:
        raise
    except (ValueError, TypeError, re.error) as exc:  # settings scikit-learn's own validation refuses
        why = f"{_error_name(exc)}: {one_line(str(exc), 120)}"
        raise ModelFormatError(f"its settings cannot be rebuilt ({why})") from None
