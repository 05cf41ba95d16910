"""Monitoring plots as PNG bytes (matplotlib's object API with the Agg canvas, as model/plots.py)."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

_DPI = 90


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return buffer.getvalue()


def drift_png(genre_table: list[dict], reference_probabilities, served_probabilities) -> bytes:
    """Left: genre shares, training vs served (largest PSI terms first); right: probability histograms."""
    figure = Figure(figsize=(10.0, 4.2))
    genres_axes, probability_axes = figure.subplots(1, 2)
    shown = genre_table[:15]
    positions = np.arange(len(shown))
    genres_axes.barh(positions - 0.2, [row["training_share"] for row in shown], height=0.4, label="training")
    genres_axes.barh(positions + 0.2, [row["served_share"] for row in shown], height=0.4, label="served")
    genres_axes.set_yticks(positions, [row["genre"] for row in shown])
    genres_axes.invert_yaxis()
    genres_axes.set_xlabel("share of genre mentions")
    genres_axes.set_title("genre mix (largest PSI terms first)")
    genres_axes.legend()
    bins = np.linspace(0, 1, 21)
    if len(reference_probabilities):
        probability_axes.hist(reference_probabilities, bins=bins, density=True, alpha=0.5, label="champion on test")
    if len(served_probabilities):
        probability_axes.hist(served_probabilities, bins=bins, density=True, alpha=0.5, label="served")
    probability_axes.set_xlabel("P(enjoy)")
    probability_axes.set_title("probability distribution")
    probability_axes.legend()
    figure.subplots_adjust(left=0.12, right=0.98, bottom=0.12, top=0.92, wspace=0.3)
    return _png(figure)
