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
from sklearn.linear_model import LogisticRegression

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


def genres_only_baseline(
    fit_genres, validation_genres, test_genres, fit_labels, validation_labels, test_labels
) -> BaselineResult:
    """Fitted on the genre columns of the fitting rows; calibrated and thresholded on validation."""
    classifier = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(fit_genres, fit_labels)
    calibration = fit_platt(classifier.decision_function(validation_genres), validation_labels)
    threshold = choose_threshold(
        validation_labels, calibration.apply(classifier.decision_function(validation_genres))
    ).threshold
    probability = calibration.apply(classifier.decision_function(test_genres))
    return BaselineResult(
        "genres_only", threshold, classification_metrics(test_labels, probability, threshold), probability
    )
