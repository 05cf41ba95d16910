"""How good the model is on parts of the test split: per genre and per decade (pure numpy/pandas).

One ROC AUC over all test movies can hide a genre or an era where the model is at chance. Each slice
reports its rows, its share rated "enjoy", ROC AUC with a 95 % interval (Hanley & McNeil's standard
error: a slice's own AUC, no pairing needed) and balanced accuracy at the model's threshold. A slice
with fewer than `MIN_CLASS_ROWS` movies of either class is listed with its counts and "too few rows"
instead of numbers that would mean nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from imdb_assets.model.evaluate import roc_auc, roc_auc_standard_error

MIN_CLASS_ROWS = 10
Z_95 = 1.959964


def _slice(name: str, labels: np.ndarray, probability: np.ndarray, threshold: float) -> dict:
    positives = int(labels.sum())
    negatives = len(labels) - positives
    out = {"slice": name, "rows": len(labels), "positives": positives, "negatives": negatives}
    if min(positives, negatives) < MIN_CLASS_ROWS:
        return {**out, "too_few_rows": True}
    auc = roc_auc(labels, probability)
    se = roc_auc_standard_error(auc, positives, negatives)
    predicted = probability >= threshold
    balanced = (float(predicted[labels == 1].mean()) + float((~predicted[labels == 0]).mean())) / 2
    return {
        **out,
        "too_few_rows": False,
        "positive_share": positives / len(labels),
        "roc_auc": auc,
        "roc_auc_ci95": [max(0.0, auc - Z_95 * se), min(1.0, auc + Z_95 * se)],
        "balanced_accuracy": balanced,
    }


def decade_of(years: pd.Series) -> pd.Series:
    """'1990s' for 1990-1999; missing years stay missing."""
    decades = (pd.to_numeric(years, errors="coerce") // 10 * 10).astype("Int64")
    return decades.astype(str).where(decades.notna(), None).map(lambda d: None if d is None else f"{d}s")


def slice_metrics(test: pd.DataFrame, probability: np.ndarray, threshold: float) -> dict[str, list[dict]]:
    """{"genre": [...], "decade": [...]} for the test rows (`genres` comma-joined, `startYear` when present)."""
    labels = test["label"].to_numpy().astype(int)
    probability = np.asarray(probability, dtype=float)
    genre_lists = test["genres"].astype(str).str.split(",")
    genres = sorted({g for gs in genre_lists for g in gs if g})
    by_genre = [
        _slice(genre, labels[mask], probability[mask], threshold)
        for genre in genres
        for mask in [genre_lists.map(lambda gs, genre=genre: genre in gs).to_numpy(dtype=bool)]
    ]
    by_decade = []
    if "startYear" in test:
        decades = decade_of(test["startYear"]).to_numpy(dtype=object)
        for decade in sorted({d for d in decades if d is not None}):
            mask = decades == decade
            by_decade.append(_slice(decade, labels[mask], probability[mask], threshold))
        unknown = np.array([d is None for d in decades])
        if unknown.any():
            by_decade.append(_slice("year unknown", labels[unknown], probability[unknown], threshold))
    return {"genre": by_genre, "decade": by_decade}


def slices_table(slices: list[dict], kind: str) -> str:
    """Markdown: one row per slice, numbers to 4 digits, "too few rows" where that is true."""
    rows = [f"| {kind} | movies | enjoy / not | ROC AUC | 95 % interval | balanced accuracy |", "|---|---|---|---|---|---|"]
    for s in slices:
        counts = f"{s['positives']} / {s['negatives']}"
        if s["too_few_rows"]:
            rows.append(f"| {s['slice']} | {s['rows']} | {counts} | too few rows (< {MIN_CLASS_ROWS} of a class) | | |")
        else:
            low, high = s["roc_auc_ci95"]
            rows.append(
                f"| {s['slice']} | {s['rows']} | {counts} | {s['roc_auc']:.4f} | [{low:.4f}, {high:.4f}] | {s['balanced_accuracy']:.4f} |"
            )
    return "\n".join(rows)
