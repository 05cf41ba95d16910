"""The candidate model families and their bounded hyperparameter grid (pure scikit-learn).

Three linear families over the same features, each cheap enough to fit several times on IMDb's full
~330 k movies within the time budget (SGD fits in 1-3 s there, where an exact logistic regression
solver needs 10-20 s per fit):

* `logistic`: logistic regression fitted by SGD (log loss, L2), class-balanced;
* `linear_svm`: a linear SVM fitted by SGD (hinge loss, L2), class-balanced;
* `complement_nb`: complement naive Bayes, built for imbalanced text classes.

The grid is a short list per family, ordered from the strongest regularisation to the weakest: the
selection prefers the earliest candidate that is statistically as good as the best (see selection.py).
SGD's `alpha` is a per-row penalty, so the useful value falls as data grows (~1e-2 for the 2 k-movie
sample, ~1e-4 for 330 k movies): the grid spans both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import SGDClassifier
from sklearn.naive_bayes import ComplementNB

FAMILY_ORDER = ("logistic", "linear_svm", "complement_nb")
DEFAULT_GRID: dict[str, tuple[float, ...]] = {
    "logistic": (1e-2, 1e-3, 1e-4, 1e-5),
    "linear_svm": (1e-2, 1e-3, 1e-4),
    "complement_nb": (1.0, 0.3),
}


@dataclass(frozen=True)
class Candidate:
    family: str
    regularisation: float  # SGD's alpha, or naive Bayes' smoothing alpha

    @property
    def name(self) -> str:
        return f"{self.family}(alpha={self.regularisation:g})"

    def build(self, seed: int):
        if self.family == "logistic":
            return SGDClassifier(loss="log_loss", alpha=self.regularisation, class_weight="balanced", random_state=seed)
        if self.family == "linear_svm":
            return SGDClassifier(loss="hinge", alpha=self.regularisation, class_weight="balanced", random_state=seed)
        if self.family == "complement_nb":
            return ComplementNB(alpha=self.regularisation)
        raise ValueError(f"unknown model family {self.family!r}: expected one of {', '.join(FAMILY_ORDER)}")


def candidate_grid(families: list[str] | tuple[str, ...] = FAMILY_ORDER) -> list[Candidate]:
    """Candidates in order of preference: families in `FAMILY_ORDER`, strongest regularisation first."""
    unknown = sorted(set(families) - set(FAMILY_ORDER))
    if unknown or not families:
        raise ValueError(f"model families {unknown or '[]'} are not known: choose from {', '.join(FAMILY_ORDER)}")
    return [Candidate(family, value) for family in FAMILY_ORDER if family in families for value in DEFAULT_GRID[family]]


def linear_score(estimator) -> tuple[np.ndarray, float]:
    """(coef, intercept) with `X @ coef + intercept` = the fitted estimator's score for class 1 (higher
    means more likely to enjoy): the SGD decision function, or naive Bayes' log-odds."""
    if isinstance(estimator, ComplementNB):
        # ComplementNB's joint log-likelihood is X @ feature_log_prob_.T (no prior with two classes).
        log_prob = estimator.feature_log_prob_
        return (log_prob[1] - log_prob[0]).astype(np.float64), 0.0
    return estimator.coef_.ravel().astype(np.float64), float(estimator.intercept_[0])
