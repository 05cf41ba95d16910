"""The candidate model families and their bounded hyperparameter grid (pure scikit-learn).

Three linear families over the same features, each cheap enough to fit several times on IMDb's full
~330 k movies within the time budget:

* `logistic`: logistic regression fitted by averaged SGD (log loss, L2), class-balanced;
* `linear_svm`: a linear SVM fitted by averaged SGD (hinge loss, L2), class-balanced;
* `complement_nb`: complement naive Bayes, built for imbalanced text classes.

SGD runs a fixed `SGD_EPOCHS` passes and returns the average of its iterates (ASGD): on 354 k fitting
rows it reaches the validation ROC AUC of SGD run to its tolerance (7-36 passes) in 5, and on 1.5 k
rows it is as good, so every fit costs the same five passes.

The passes read the rows in one fixed random order (shuffled once, by `selection.shuffled_rows`), not in
a new order each pass as SGDClassifier's `shuffle=True` does: reading a CSR matrix's rows at random
missed the CPU caches on almost every row, and made each pass over IMDb's full data ~2.2x slower.
Measured with seeds 0-2, the test ROC AUC moved within noise: 0.7714 / 0.7711 / 0.7713 with a new order
each pass, 0.7709 / 0.7711 / 0.7708 with one order, at full size (standard error ~0.002); on the bundled
sample 0.684 / 0.683 / 0.684 against 0.696 / 0.692 / 0.690.

The grid is a short list per family, ordered from the strongest regularisation to the weakest: the
selection prefers the earliest candidate that is statistically as good as the best (see selection.py).
SGD's `alpha` is a per-row penalty, so the useful value falls as the data grows: measured from 2.4 k to
554 k movies, the best is near 5-15 / fitting rows, so the grid is `SGD_PENALTY_PER_ROWS / rows`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import SGDClassifier
from sklearn.naive_bayes import ComplementNB

FAMILY_ORDER = ("logistic", "linear_svm", "complement_nb")
SGD_PENALTY_PER_ROWS = (15.0, 5.0, 1.5)  # alpha x fitting rows, strongest first
SGD_EPOCHS = 5
NAIVE_BAYES_SMOOTHING = (1.0, 0.3)


_SGD_LOSS = {"logistic": "log_loss", "linear_svm": "hinge"}


@dataclass(frozen=True)
class Candidate:
    family: str
    regularisation: float  # SGD's alpha, or naive Bayes' smoothing alpha

    @property
    def name(self) -> str:
        return f"{self.family}(alpha={self.regularisation:g})"

    def build(self, seed: int):
        if self.family in _SGD_LOSS:
            return SGDClassifier(
                loss=_SGD_LOSS[self.family],
                alpha=self.regularisation,
                class_weight="balanced",
                max_iter=SGD_EPOCHS,
                tol=None,  # a fixed number of passes, averaged: no stopping rule to tune
                average=True,
                shuffle=False,  # the caller shuffles the rows once (selection.py): each pass reads them in order
                random_state=seed,
            )
        if self.family == "complement_nb":
            return ComplementNB(alpha=self.regularisation)
        raise ValueError(f"unknown model family {self.family!r}: expected one of {', '.join(FAMILY_ORDER)}")


def _grid(family: str, fitting_rows: int) -> list[float]:
    if family in _SGD_LOSS:
        return [float(f"{per_rows / max(fitting_rows, 1):.3g}") for per_rows in SGD_PENALTY_PER_ROWS]
    return list(NAIVE_BAYES_SMOOTHING)


def candidate_grid(families: list[str] | tuple[str, ...] = FAMILY_ORDER, fitting_rows: int = 1_000) -> list[Candidate]:
    """Candidates in order of preference: families in `FAMILY_ORDER`, strongest regularisation first;
    SGD penalties scaled to the number of fitting rows."""
    unknown = sorted(set(families) - set(FAMILY_ORDER))
    if unknown or not families:
        raise ValueError(f"model families {unknown or '[]'} are not known: choose from {', '.join(FAMILY_ORDER)}")
    return [
        Candidate(family, value)
        for family in FAMILY_ORDER
        if family in families
        for value in _grid(family, fitting_rows)
    ]


def linear_score(estimator) -> tuple[np.ndarray, float]:
    """(coef, intercept) with `X @ coef + intercept` = the fitted estimator's score for class 1 (higher
    means more likely to enjoy): the SGD decision function, or naive Bayes' log-odds."""
    if isinstance(estimator, ComplementNB):
        # ComplementNB's joint log-likelihood is X @ feature_log_prob_.T (no prior with two classes).
        log_prob = estimator.feature_log_prob_
        return (log_prob[1] - log_prob[0]).astype(np.float64), 0.0
    return estimator.coef_.ravel().astype(np.float64), float(estimator.intercept_[0])
