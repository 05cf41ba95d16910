"""Held-out evaluation of predicted probabilities (pure scikit-learn)."""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    log_loss,
    roc_auc_score,
)

# Metrics where a larger value is better; log loss and Brier are losses (smaller is better).
HIGHER_IS_BETTER = {
    "roc_auc": True,
    "pr_auc": True,
    "balanced_accuracy": True,
    "f1": True,
    "log_loss": False,
    "brier": False,
}
REPORTED_METRICS = ("roc_auc", "pr_auc", "balanced_accuracy", "f1", "log_loss", "brier", "positive_rate")


def classification_metrics(y_true: np.ndarray, probability: np.ndarray, threshold: float = 0.5) -> dict:
    """ROC AUC, PR AUC (average precision of "enjoy"), balanced accuracy, F1 of "enjoy", log loss, Brier,
    the share predicted "enjoy" and the confusion matrix, for probabilities cut at `threshold`."""
    y_true = np.asarray(y_true).astype(int)
    if len(np.unique(y_true)) != 2:
        raise ValueError(
            f"cannot evaluate on {len(y_true)} rows holding only label(s) {sorted(set(y_true.tolist()))}: both classes are needed"
        )
    probability = np.clip(np.asarray(probability, dtype=float), 1e-7, 1 - 1e-7)
    predicted = (probability >= threshold).astype(int)
    tn, fp, fn, tp = confusion_matrix(y_true, predicted, labels=[0, 1]).ravel()
    return {
        "roc_auc": float(roc_auc_score(y_true, probability)),
        "pr_auc": float(average_precision_score(y_true, probability)),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, predicted)),
        "f1": float(f1_score(y_true, predicted, zero_division=0)),
        "log_loss": float(log_loss(y_true, probability, labels=[0, 1])),
        "brier": float(brier_score_loss(y_true, probability)),
        "positive_rate": float(predicted.mean()),
        "confusion_matrix": {"tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp)},
        "rows": len(y_true),
        "positive_share": float(y_true.mean()),
    }


def roc_auc_standard_error(auc: float, positives: int, negatives: int) -> float:
    """Hanley & McNeil (1982): the sampling error of a ROC AUC measured on this many rows of each class."""
    q1 = auc / (2.0 - auc)
    q2 = 2.0 * auc * auc / (1.0 + auc)
    variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) / max(
        positives * negatives, 1
    )
    return math.sqrt(max(variance, 0.0))
