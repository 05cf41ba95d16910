"""The two baselines every model is reported beside, on the same held-out split (pure scikit-learn).

* majority: every movie gets the training share of "enjoy" as its probability and the majority label.
  Its accuracy looks good (most movies are rated >= 5); its ROC AUC and balanced accuracy are 0.5.
* genres_only: the model's own recipe (the same genre and genre-pair columns, class balancing, Platt
  calibration and threshold chosen on validation) without the title. What the title adds is the gap
  to this one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.utils.class_weight import compute_class_weight

from imdb_assets.model.calibration import choose_threshold, fit_platt
from imdb_assets.model.evaluate import classification_metrics

BASELINE_DESCRIPTIONS = {
    "majority": "predicts the majority class for every movie, probability = training share of 'enjoy'",
    "genres_only": "logistic regression on multi-hot genres and genre pairs (no title), calibrated and thresholded on validation",
}


@dataclass
class BaselineResult:
    name: str
    threshold: float
    metrics: dict
    test_probability: np.ndarray

    def summary(self) -> dict:
        return {"description": BASELINE_DESCRIPTIONS[self.name], "threshold": self.threshold, **self.metrics}


def majority_baseline(fit: pd.DataFrame, test: pd.DataFrame) -> BaselineResult:
    share = float(fit["label"].mean())
    probability = np.full(len(test), share)
    # Cut just below the constant when "enjoy" is the majority, just above otherwise: the majority label.
    threshold = share if share >= 0.5 else min(1.0, share + 1e-9)
    return BaselineResult(
        "majority", threshold, classification_metrics(test["label"].to_numpy(), probability, threshold), probability
    )


def _distinct_rows(matrix) -> tuple[np.ndarray, sparse.csr_matrix]:
    """(code of each row, the distinct rows): a few thousand genre combinations cover every movie."""
    matrix = sparse.csr_matrix(matrix, dtype=np.float64)
    matrix.sort_indices()
    # A random 64-bit key per column; a row's key is the wrapping sum over its entries. Equal rows have
    # equal keys; the check below makes a (vanishingly unlikely) collision an error, never a wrong group.
    column_keys = np.random.default_rng(0).integers(0, 2**63, size=matrix.shape[1], dtype=np.uint64)
    value_bits = matrix.data.view(np.uint64)
    value_bits = (value_bits ^ (value_bits >> np.uint64(31))) * np.uint64(0x9E3779B97F4A7C15)  # mix the float's bits
    entry_keys = column_keys[matrix.indices] * (value_bits | np.uint64(1))
    row_keys = np.zeros(matrix.shape[0], dtype=np.uint64)
    filled = np.diff(matrix.indptr) > 0
    row_keys[filled] = np.add.reduceat(entry_keys, matrix.indptr[:-1][filled])
    codes, distinct_keys = pd.factorize(row_keys)
    first_row = np.zeros(len(distinct_keys), dtype=np.int64)
    first_row[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    distinct = matrix[first_row]
    if (distinct[codes] != matrix).nnz:
        raise RuntimeError("two different genre rows share a grouping key")
    return codes, distinct


def _decision(classifier, matrix) -> np.ndarray:
    codes, distinct = _distinct_rows(matrix)
    return classifier.decision_function(distinct)[codes]


def genres_only_baseline(
    fit_genres, validation_genres, test_genres, fit_labels, validation_labels, test_labels
) -> BaselineResult:
    """Fitted on the genre columns of the fitting rows; calibrated and thresholded on validation.

    Rows with the same genres are the same point, so the fit sees each (genres, label) pair once,
    weighted by its count times the balanced class weight: the same objective as a class-balanced fit
    on every row, on a few thousand rows instead of hundreds of thousands."""
    fit_labels = np.asarray(fit_labels).astype(int)
    codes, distinct = _distinct_rows(fit_genres)
    pairs, pair_counts = np.unique(codes.astype(np.int64) * 2 + fit_labels, return_counts=True)
    pair_rows, pair_labels = np.divmod(pairs, 2)
    class_weight = compute_class_weight("balanced", classes=np.array([0, 1]), y=fit_labels)
    classifier = LogisticRegression(C=1.0, max_iter=1000).fit(
        distinct[pair_rows], pair_labels, sample_weight=pair_counts * class_weight[pair_labels]
    )
    validation_score = _decision(classifier, validation_genres)
    calibration = fit_platt(validation_score, validation_labels)
    threshold = choose_threshold(validation_labels, calibration.apply(validation_score)).threshold
    probability = calibration.apply(_decision(classifier, test_genres))
    return BaselineResult(
        "genres_only", threshold, classification_metrics(test_labels, probability, threshold), probability
    )
