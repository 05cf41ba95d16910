"""The promotion rule, calibration, threshold choice and candidate scores (pure functions, fast)."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.metrics import balanced_accuracy_score
from sklearn.naive_bayes import ComplementNB

from imdb_assets.model.calibration import choose_threshold, fit_platt
from imdb_assets.model.candidates import Candidate, candidate_grid, linear_score
from imdb_assets.model.promotion import PromotionPolicy, decide_promotion

MAJORITY = {"roc_auc": 0.5, "balanced_accuracy": 0.5, "log_loss": 0.40}
GENRES = {"roc_auc": 0.66, "balanced_accuracy": 0.61, "log_loss": 0.38}
BASELINES = {"majority": MAJORITY, "genres_only": GENRES}


def metrics(roc_auc: float, balanced_accuracy: float, log_loss: float = 0.37) -> dict:
    return {"roc_auc": roc_auc, "balanced_accuracy": balanced_accuracy, "log_loss": log_loss}


def test_a_worse_challenger_is_not_promoted_and_the_reason_says_why():
    decision = decide_promotion(
        metrics(0.69, 0.63), BASELINES, PromotionPolicy(), champion=metrics(0.72, 0.66), champion_version="v-old"
    )
    assert not decision.promote
    assert decision.reason.startswith("not promoted (champion v-old stays)")
    assert "beats_champion failed: roc_auc 0.6900 vs champion v-old 0.7200" in decision.reason
    assert "keeps_balanced_accuracy failed" in decision.reason
    assert "beats_genres_only" not in decision.reason  # it does beat the baselines: only failed rules are named


def test_a_better_challenger_needs_the_margin_and_no_balanced_accuracy_loss():
    champion = metrics(0.700, 0.650)
    policy = PromotionPolicy(margin=0.01)
    assert decide_promotion(metrics(0.715, 0.660), BASELINES, policy, champion, "v1").promote
    assert not decide_promotion(metrics(0.705, 0.660), BASELINES, policy, champion, "v1").promote  # inside the margin
    worse_accuracy = decide_promotion(metrics(0.750, 0.640), BASELINES, policy, champion, "v1")
    assert not worse_accuracy.promote and "keeps_balanced_accuracy failed" in worse_accuracy.reason
    tolerant = PromotionPolicy(margin=0.01, balanced_accuracy_tolerance=0.02)
    assert decide_promotion(metrics(0.750, 0.640), BASELINES, tolerant, champion, "v1").promote


def test_the_first_model_must_beat_both_baselines():
    assert decide_promotion(metrics(0.70, 0.64), BASELINES, PromotionPolicy()).promote
    no_better_than_genres = decide_promotion(metrics(0.65, 0.64), BASELINES, PromotionPolicy())
    assert not no_better_than_genres.promote
    assert no_better_than_genres.reason.startswith("not promoted (no champion yet): beats_genres_only failed")


def test_lower_is_better_metrics_are_compared_the_right_way():
    policy = PromotionPolicy(metric="log_loss", margin=0.005)
    champion = metrics(0.70, 0.64, log_loss=0.370)
    assert decide_promotion(metrics(0.70, 0.64, log_loss=0.360), BASELINES, policy, champion, "v1").promote
    assert not decide_promotion(metrics(0.70, 0.64, log_loss=0.368), BASELINES, policy, champion, "v1").promote
    with pytest.raises(ValueError, match="promotion metric 'accuracy'"):
        PromotionPolicy(metric="accuracy")


def test_an_unscorable_champion_cannot_defend_its_place():
    decision = decide_promotion(
        metrics(0.70, 0.64), BASELINES, PromotionPolicy(), None, "v-broken", champion_problem="sha256 mismatch"
    )
    assert decision.promote and "cannot be scored (sha256 mismatch)" in decision.reason


def test_platt_scaling_recovers_a_known_sigmoid():
    rng = np.random.default_rng(0)
    score = rng.normal(size=20_000)
    y = (rng.random(20_000) < 1 / (1 + np.exp(-(2.0 * score - 1.0)))).astype(int)
    platt = fit_platt(score * 10.0, y)  # any score scale
    assert platt.slope * 10.0 == pytest.approx(2.0, rel=0.08)
    assert platt.offset == pytest.approx(-1.0, abs=0.08)


def test_threshold_maximises_balanced_accuracy_on_the_rows_it_is_chosen_on():
    rng = np.random.default_rng(1)
    y = (rng.random(3000) < 0.85).astype(int)
    probability = np.clip(0.85 + 0.1 * (y - 0.85) + rng.normal(scale=0.08, size=3000), 0, 1)
    chosen = choose_threshold(y, probability)
    achieved = balanced_accuracy_score(y, probability >= chosen.threshold)
    assert achieved == pytest.approx(chosen.validation_balanced_accuracy)
    for other in np.linspace(0.05, 0.95, 91):
        assert balanced_accuracy_score(y, probability >= other) <= achieved + 1e-12
    assert balanced_accuracy_score(y, probability >= 0.5) < achieved  # the default cut answers "enjoy" for all


def test_every_candidate_is_linear_in_the_features():
    rng = np.random.default_rng(2)
    X = sparse.random(400, 30, density=0.2, random_state=3, format="csr")
    y = (X @ rng.normal(size=30) + rng.normal(scale=0.3, size=400) > 0).astype(int)
    for candidate in candidate_grid():
        estimator = candidate.build(seed=0).fit(X, y)
        coef, intercept = linear_score(estimator)
        if isinstance(estimator, ComplementNB):
            log_proba = estimator.predict_log_proba(X)
            expected = log_proba[:, 1] - log_proba[:, 0]
        else:
            expected = estimator.decision_function(X)
        np.testing.assert_allclose(X @ coef + intercept, expected, rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError, match="not known"):
        candidate_grid(["random_forest"])
    assert Candidate("logistic", 1e-3).name == "logistic(alpha=0.001)"


def test_sgd_rows_are_shuffled_once_with_their_labels():
    """SGD passes read one shuffled copy of the fitting rows (candidates.py): every row exactly once,
    still beside its own label, in an order fixed by the seed."""
    from imdb_assets.model.selection import shuffled_rows

    rows = 1_000
    X = sparse.csr_matrix(np.arange(rows, dtype=np.float64).reshape(-1, 1) + 1.0)  # row i holds i + 1
    y = np.arange(rows) % 2
    shuffled, labels = shuffled_rows(X, y, seed=0)
    held = shuffled.toarray().ravel() - 1.0
    assert sorted(held) == list(range(rows)) and not np.array_equal(held, np.arange(rows))
    np.testing.assert_array_equal(labels, held.astype(int) % 2)
    again, _ = shuffled_rows(X, y, seed=0)
    np.testing.assert_array_equal(again.toarray(), shuffled.toarray())
    assert not np.array_equal(shuffled_rows(X, y, seed=1)[0].toarray(), shuffled.toarray())
    assert all(not c.build(seed=0).get_params().get("shuffle", False) for c in candidate_grid())
