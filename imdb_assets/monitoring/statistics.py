"""The monitoring statistics, pure (numpy, scipy, scikit-learn's metrics; no Dagster).

Drift compares what the server was asked and answered with the champion's training data; live
performance scores served answers against the ratings IMDb gave the titles later.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import ks_2samp
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

# PSI's usual floor for an empty bin: a genre never seen on one side counts as 0.01% there, not as log(0).
PSI_FLOOR = 1e-4
CALIBRATION_BINS = 10


def genre_shares(genre_lists: Iterable[Sequence[str]]) -> dict[str, float]:
    """Each genre's share of all genre mentions (a movie with two genres counts in both)."""
    counts = Counter(genre for genres in genre_lists for genre in genres)
    total = sum(counts.values())
    return {genre: count / total for genre, count in sorted(counts.items())} if total else {}


def psi(expected: dict[str, float], actual: dict[str, float], floor: float = PSI_FLOOR) -> float:
    """Population stability index of two category shares: sum((a - e) * ln(a / e)) over every category.
    Rule of thumb: < 0.1 stable, 0.1-0.2 a moderate shift, > 0.2 a large one."""
    categories = sorted(set(expected) | set(actual))
    if not categories:
        return 0.0
    e = np.maximum(np.array([expected.get(c, 0.0) for c in categories]), floor)
    a = np.maximum(np.array([actual.get(c, 0.0) for c in categories]), floor)
    return float(np.sum((a - e) * np.log(a / e)))


@dataclass(frozen=True)
class KS:
    statistic: float | None
    p_value: float | None


def ks(reference: Sequence[float], served: Sequence[float]) -> KS:
    """Two-sample Kolmogorov-Smirnov: the largest gap between the two empirical distributions (0 to 1)."""
    if len(reference) == 0 or len(served) == 0:
        return KS(None, None)
    result = ks_2samp(np.asarray(reference, dtype=float), np.asarray(served, dtype=float))
    return KS(float(result.statistic), float(result.pvalue))


@dataclass(frozen=True)
class DriftThresholds:
    """Past these, the drift checks WARN (see README, "Monitoring")."""

    genre_psi: float = 0.2
    unknown_genre_rate: float = 0.05
    title_length_ks: float = 0.2
    positive_rate_difference: float = 0.15
    probability_ks: float = 0.2
    min_rows: int = 50


@dataclass
class DriftReport:
    rows: int
    genre_psi: float | None
    unknown_genre_rate: float | None
    title_length_ks: KS
    served_positive_rate: float | None
    training_positive_rate: float | None
    probability_ks: KS
    genre_table: list[dict] = field(default_factory=list)  # genre, training share, served share, contribution
    alerts: dict[str, str] = field(default_factory=dict)  # check name -> why it warns


def drift_report(
    *,
    training_genres: Sequence[Sequence[str]],
    training_title_lengths: Sequence[int],
    test_positive_rate: float | None,
    test_probabilities: Sequence[float],
    served_genres: Sequence[Sequence[str]],
    served_unknown_genres: Sequence[Sequence[str]],
    served_title_lengths: Sequence[int],
    served_labels: Sequence[int],
    served_probabilities: Sequence[float],
    thresholds: DriftThresholds,
) -> DriftReport:
    """Served inputs and outputs against the training reference; `alerts` names each measure past its threshold."""
    rows = len(served_genres)
    expected, actual = genre_shares(training_genres), genre_shares(served_genres)
    table = []
    for genre in sorted(set(expected) | set(actual)):
        e, a = max(expected.get(genre, 0.0), PSI_FLOOR), max(actual.get(genre, 0.0), PSI_FLOOR)
        table.append(
            {"genre": genre, "training_share": expected.get(genre, 0.0), "served_share": actual.get(genre, 0.0), "psi_term": float((a - e) * np.log(a / e))}
        )
    table.sort(key=lambda row: -row["psi_term"])
    report = DriftReport(
        rows=rows,
        genre_psi=psi(expected, actual) if rows else None,
        unknown_genre_rate=float(np.mean([len(u) > 0 for u in served_unknown_genres])) if rows else None,
        title_length_ks=ks(training_title_lengths, served_title_lengths),
        served_positive_rate=float(np.mean(served_labels)) if len(served_labels) else None,
        training_positive_rate=test_positive_rate,
        probability_ks=ks(test_probabilities, served_probabilities),
        genre_table=table,
    )
    if rows < thresholds.min_rows:
        return report  # too few to judge: no alert either way
    t = thresholds
    measures = {
        "genre_psi": (report.genre_psi, t.genre_psi, "genre mix PSI"),
        "unknown_genre_rate": (report.unknown_genre_rate, t.unknown_genre_rate, "share of requests with an unknown genre"),
        "title_length_ks": (report.title_length_ks.statistic, t.title_length_ks, "title length KS"),
    }
    # The answers are compared for the champion's own rows only, and need as many of them.
    enough_answers = len(served_labels) >= t.min_rows
    if enough_answers:
        measures["probability_ks"] = (report.probability_ks.statistic, t.probability_ks, "probability KS")
    if enough_answers and report.served_positive_rate is not None and report.training_positive_rate is not None:
        gap = abs(report.served_positive_rate - report.training_positive_rate)
        measures["positive_rate"] = (gap, t.positive_rate_difference, "served vs test positive rate gap")
    for name, (value, limit, what) in measures.items():
        if value is not None and value > limit:
            report.alerts[name] = f"{what} {value:.3f} > {limit:g} over {rows} served predictions"
    return report


# -- live performance ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LiveThresholds:
    """The live-performance check WARNs when live ROC AUC is more than `roc_auc_margin` below the test
    figure, once at least `min_rows` served predictions have an outcome (see README, "Monitoring")."""

    roc_auc_margin: float = 0.05
    min_rows: int = 200


@dataclass
class LivePerformance:
    model_version: str
    rows_with_outcome: int
    roc_auc: float | None
    balanced_accuracy: float | None
    observed_positive_rate: float | None
    mean_probability: float | None
    expected_calibration_error: float | None
    test_roc_auc: float | None
    test_balanced_accuracy: float | None
    calibration: list[dict] = field(default_factory=list)  # per probability bin: rows, mean probability, observed rate


def calibration_bins(outcomes: np.ndarray, probabilities: np.ndarray, bins: int = CALIBRATION_BINS) -> list[dict]:
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(probabilities, edges[1:-1]), 0, bins - 1)
    table = []
    for b in range(bins):
        mask = index == b
        if mask.any():
            table.append(
                {"bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}", "rows": int(mask.sum()), "mean_probability": float(probabilities[mask].mean()), "observed_rate": float(outcomes[mask].mean())}
            )
    return table


def live_performance(
    model_version: str,
    outcomes: Sequence[int],
    probabilities: Sequence[float],
    labels: Sequence[int],
    test_metrics: dict,
) -> LivePerformance:
    """One model version's served answers against the outcomes (1: rated at least the threshold)."""
    y = np.asarray(outcomes, dtype=int)
    p = np.asarray(probabilities, dtype=float)
    predicted = np.asarray(labels, dtype=int)
    rows = len(y)
    two_classes = rows > 0 and 0 < y.sum() < rows
    bins = calibration_bins(y, p) if rows else []
    ece = float(sum(b["rows"] * abs(b["mean_probability"] - b["observed_rate"]) for b in bins) / rows) if rows else None
    return LivePerformance(
        model_version=model_version,
        rows_with_outcome=rows,
        roc_auc=float(roc_auc_score(y, p)) if two_classes else None,
        balanced_accuracy=float(balanced_accuracy_score(y, predicted)) if two_classes else None,
        observed_positive_rate=float(y.mean()) if rows else None,
        mean_probability=float(p.mean()) if rows else None,
        expected_calibration_error=ece,
        test_roc_auc=_number(test_metrics.get("roc_auc")),
        test_balanced_accuracy=_number(test_metrics.get("balanced_accuracy")),
        calibration=bins,
    )


def live_alert(performance: LivePerformance, thresholds: LiveThresholds) -> str | None:
    """Why the live ROC AUC warns, or None (too few rows, one class only, or close enough to the test figure)."""
    if performance.rows_with_outcome < thresholds.min_rows or performance.roc_auc is None or performance.test_roc_auc is None:
        return None
    if performance.roc_auc < performance.test_roc_auc - thresholds.roc_auc_margin:
        return (
            f"model {performance.model_version}: live ROC AUC {performance.roc_auc:.3f} is more than {thresholds.roc_auc_margin:g} "
            f"below its test ROC AUC {performance.test_roc_auc:.3f} ({performance.rows_with_outcome} rows with an outcome)"
        )
    return None


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else number
