"""ROC and calibration plots as PNG bytes (matplotlib's object API with the Agg canvas: no pyplot, no
global backend switch, safe in a worker without a display)."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import auc, roc_curve

_SIZE_INCHES = (5.0, 4.2)
_DPI = 90


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    # Fixed margins that fit these labels: `bbox_inches="tight"` or a layout engine measures every text
    # first, which doubles the time a plot takes.
    figure.subplots_adjust(left=0.12, right=0.97, bottom=0.11, top=0.93)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return buffer.getvalue()


def roc_png(
    labels: np.ndarray, curves: dict[str, np.ndarray], threshold_points: dict[str, float] | None = None
) -> bytes:
    """ROC curves of several scorers on the same rows; a dot marks each model's chosen threshold."""
    figure = Figure(figsize=_SIZE_INCHES)
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey", label="chance / majority (AUC 0.500)")
    for name, probability in curves.items():
        false_positive_rate, true_positive_rate, _ = roc_curve(labels, probability)
        # roc_auc_score is exactly this area of this curve; computed here from the curve drawn.
        area = auc(false_positive_rate, true_positive_rate)
        axes.plot(false_positive_rate, true_positive_rate, label=f"{name} (AUC {area:.3f})")
        if threshold_points and name in threshold_points:
            predicted = probability >= threshold_points[name]
            tpr = predicted[labels == 1].mean()
            fpr = predicted[labels == 0].mean()
            axes.plot([fpr], [tpr], marker="o", color=axes.lines[-1].get_color())
    if threshold_points:
        axes.plot([], [], marker="o", linestyle="none", color="black", label="chosen threshold")
    axes.set_xlabel("false positive rate (disliked movies predicted 'enjoy')")
    axes.set_ylabel("true positive rate")
    axes.set_title(f"ROC on the held-out test split ({len(labels)} movies)")
    axes.legend(loc="lower right", fontsize="small")
    return _png(figure)


def calibration_png(labels: np.ndarray, curves: dict[str, np.ndarray], bins: int = 10) -> bytes:
    """Reliability diagram: mean predicted probability against the observed share of 'enjoy', per
    quantile bin (equal rows per bin, so sparse extremes do not make noisy points)."""
    figure = Figure(figsize=_SIZE_INCHES)
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfectly calibrated")
    for name, probability in curves.items():
        observed, predicted = calibration_curve(
            labels, probability, n_bins=min(bins, max(2, len(labels) // 20)), strategy="quantile"
        )
        axes.plot(predicted, observed, marker="o", label=name)
    axes.set_xlabel("predicted probability of 'enjoy'")
    axes.set_ylabel("observed share of 'enjoy'")
    axes.set_title("Calibration on the held-out test split")
    axes.legend(loc="upper left", fontsize="small")
    return _png(figure)
