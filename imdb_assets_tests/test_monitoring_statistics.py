"""The monitoring statistics on small hand-checked inputs (pure functions: numpy, scipy, scikit-learn)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from imdb_assets.monitoring.statistics import (
    DriftThresholds,
    LiveThresholds,
    drift_report,
    genre_shares,
    live_alert,
    live_performance,
    psi,
)


def test_psi_is_zero_for_the_same_mix_and_matches_its_formula():
    shares = genre_shares([["Drama"], ["Drama", "Comedy"], ["Comedy"]])
    assert shares == {"Comedy": 0.5, "Drama": 0.5}
    assert psi(shares, shares) == 0.0
    expected = (0.8 - 0.5) * math.log(0.8 / 0.5) + (0.2 - 0.5) * math.log(0.2 / 0.5)
    assert psi(shares, {"Drama": 0.8, "Comedy": 0.2}) == pytest.approx(expected)


def _report(served_genres, rows=60, unknown=None):
    training = [["Drama"], ["Comedy"], ["Action", "Drama"]] * 100
    return drift_report(
        training_genres=training,
        training_title_lengths=[10, 12, 14] * 100,
        test_positive_rate=0.8,
        test_probabilities=list(np.linspace(0.1, 0.9, 300)),
        served_genres=served_genres * (rows // len(served_genres)),
        served_unknown_genres=(unknown or [[]]) * rows,
        served_title_lengths=[10, 12, 14] * (rows // 3),
        served_labels=[1, 1, 1, 1, 0] * (rows // 5),
        served_probabilities=list(np.linspace(0.1, 0.9, rows)),
        thresholds=DriftThresholds(),
    )


def test_drift_warns_only_past_its_thresholds_and_only_with_enough_rows():
    matched = _report([["Drama"], ["Comedy"], ["Action", "Drama"]])
    assert matched.alerts == {} and matched.genre_psi == pytest.approx(0.0)
    horror = _report([["Horror"]])
    assert set(horror.alerts) == {"genre_psi"} and horror.genre_psi > 1
    assert _report([["Horror"]], rows=30).alerts == {}  # fewer than min_rows (50): not judged
    unknown = _report([["Drama"], ["Comedy"], ["Action", "Drama"]], unknown=[["Space-Opera"]])
    assert set(unknown.alerts) == {"unknown_genre_rate"} and unknown.unknown_genre_rate == 1.0


def test_live_alert_needs_the_margin_and_enough_rows():
    rng = np.random.default_rng(0)
    outcomes = rng.integers(0, 2, 400)
    inverted = 1.0 - (outcomes * 0.6 + rng.random(400) * 0.4)  # worse than chance: ROC AUC near 0
    labels = (inverted >= 0.5).astype(int)
    poor = live_performance("v1", outcomes, inverted, labels, {"roc_auc": 0.7, "balanced_accuracy": 0.65})
    assert poor.rows_with_outcome == 400 and poor.roc_auc < 0.2
    assert "live ROC AUC" in live_alert(poor, LiveThresholds())
    few = live_performance("v1", outcomes[:100], inverted[:100], labels[:100], {"roc_auc": 0.7})
    assert live_alert(few, LiveThresholds()) is None  # 100 rows < 200: not judged
    good_scores = outcomes * 0.6 + rng.random(400) * 0.4
    good = live_performance("v1", outcomes, good_scores, (good_scores >= 0.5).astype(int), {"roc_auc": 0.7})
    assert good.roc_auc > 0.9 and live_alert(good, LiveThresholds()) is None
    assert sum(b["rows"] for b in good.calibration) == 400
    one_class = live_performance("v1", [1] * 300, [0.9] * 300, [1] * 300, {"roc_auc": 0.7})
    assert one_class.roc_auc is None and live_alert(one_class, LiveThresholds()) is None
