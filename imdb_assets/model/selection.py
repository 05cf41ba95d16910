"""Choose one candidate on the validation split -- never on the test split (pure scikit-learn).

Every candidate is fitted on the same fitting rows (train minus validation) and scored by ROC AUC on
validation. The winner is not simply the highest score: a validation AUC measured on a few hundred
rows moves by several hundredths from noise alone, so the rule is "one standard error": among the
candidates whose AUC is within one standard error (Hanley & McNeil) of the best, take the first in
order of preference -- logistic before SVM before naive Bayes (its log loss makes the Platt step a small
correction), and within a family the strongest regularisation. On small data this picks a simple,
strongly regularised model; on IMDb's full data the standard error is ~0.003 and the best one wins.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning

from imdb_assets.model.candidates import Candidate, linear_score
from imdb_assets.model.evaluate import roc_auc, roc_auc_standard_error

SELECTION_METRIC = "roc_auc"
# SGD's inner loop releases the GIL: candidates fit side by side on threads (results do not depend on it).
FIT_THREADS = max(1, min(2, os.cpu_count() or 1))


@dataclass
class CandidateScore:
    candidate: Candidate
    validation_roc_auc: float
    standard_error: float
    fit_seconds: float
    chosen: bool = False

    def as_dict(self) -> dict:
        return {
            "candidate": self.candidate.name,
            "family": self.candidate.family,
            "regularisation": self.candidate.regularisation,
            "validation_roc_auc": round(self.validation_roc_auc, 5),
            "standard_error": round(self.standard_error, 5),
            "fit_seconds": round(self.fit_seconds, 2),
            "chosen": self.chosen,
        }


@dataclass
class Selection:
    chosen: Candidate
    estimator: object  # the chosen candidate, fitted on the fitting rows
    scores: list[CandidateScore]
    rule: str


def _fit_and_score(
    candidate: Candidate, fit_matrix, fit_labels, validation_matrix, validation_labels, seed: int
) -> tuple[object, float, float]:
    started = time.perf_counter()
    estimator = candidate.build(seed).fit(fit_matrix, fit_labels)
    coef, intercept = linear_score(estimator)
    auc = roc_auc(validation_labels, validation_matrix @ coef + intercept)
    return estimator, auc, time.perf_counter() - started


def shuffled_rows(matrix: sparse.csr_matrix, labels: np.ndarray, seed: int) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The rows in one random order, copied so that SGD's passes read memory in sequence (candidates.py)."""
    order = np.random.default_rng(seed).permutation(matrix.shape[0])
    return matrix[order], np.asarray(labels)[order]


def select_candidate(
    candidates: list[Candidate],
    fit_matrix: sparse.spmatrix,
    fit_labels: np.ndarray,
    validation_matrix: sparse.spmatrix,
    validation_labels: np.ndarray,
    seed: int,
) -> Selection:
    validation_labels = np.asarray(validation_labels).astype(int)
    fit_matrix, fit_labels = shuffled_rows(fit_matrix, fit_labels, seed)  # one copy shared by every candidate
    positives = int(validation_labels.sum())
    negatives = len(validation_labels) - positives
    # Warning filters are process-wide, so they are set here, around the threads, not inside them.
    with warnings.catch_warnings():
        # A weakly regularised SGD fit may stop at its iteration cap; its validation score says how much that matters.
        warnings.simplefilter("ignore", ConvergenceWarning)
        fits = Parallel(n_jobs=min(len(candidates), FIT_THREADS), prefer="threads")(
            delayed(_fit_and_score)(candidate, fit_matrix, fit_labels, validation_matrix, validation_labels, seed)
            for candidate in candidates
        )
    scores = [
        CandidateScore(candidate, auc, roc_auc_standard_error(auc, positives, negatives), seconds)
        for candidate, (_, auc, seconds) in zip(candidates, fits)
    ]
    fitted = [estimator for estimator, _, _ in fits]
    best = max(scores, key=lambda s: s.validation_roc_auc)
    bar = best.validation_roc_auc - best.standard_error
    index = next(i for i, s in enumerate(scores) if s.validation_roc_auc >= bar)
    scores[index].chosen = True
    rule = (
        f"best validation ROC AUC {best.validation_roc_auc:.4f} ({best.candidate.name}) minus one standard error "
        f"{best.standard_error:.4f} = {bar:.4f}; chosen: the first candidate in order of preference at or above it, "
        f"{scores[index].candidate.name} ({scores[index].validation_roc_auc:.4f})"
    )
    return Selection(scores[index].candidate, fitted[index], scores, rule)
