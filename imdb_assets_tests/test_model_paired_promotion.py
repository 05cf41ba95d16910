"""Promotion that respects noise: DeLong's paired ROC AUC test and the rule built on it (pure functions)."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from imdb_assets.model.paired_test import paired_auc
from imdb_assets.model.promotion import PromotionPolicy, decide_promotion


def scores(labels: np.ndarray, signal: float, seed: int) -> np.ndarray:
    """A score that separates the classes by `signal` standard deviations, with its own noise."""
    return signal * labels + np.random.default_rng(seed).normal(size=len(labels))


@pytest.fixture
def labels() -> np.ndarray:
    return (np.random.default_rng(0).random(2000) < 0.8).astype(int)


def metrics_of(labels, score) -> dict:
    return {"roc_auc": float(roc_auc_score(labels, score)), "balanced_accuracy": 0.6}


def test_the_paired_auc_matches_scikit_learn_and_its_interval_covers_the_truth(labels):
    a, b = scores(labels, 0.8, 1), scores(labels, 0.6, 2)
    test = paired_auc(labels, a, b)
    assert test.challenger == pytest.approx(roc_auc_score(labels, a), abs=1e-12)
    assert test.reference == pytest.approx(roc_auc_score(labels, b), abs=1e-12)
    assert test.low < test.difference < test.high and test.low < test.one_sided_low < test.difference
    # Over many resamples of rows from the same two models, the 95 % interval covers the true gap ~95 % of the time.
    rng = np.random.default_rng(3)
    big = (rng.random(200_000) < 0.8).astype(int)
    truth = roc_auc_score(big, scores(big, 0.8, 4)) - roc_auc_score(big, scores(big, 0.6, 5))
    covered = 0
    for seed in range(200):
        y = (np.random.default_rng(100 + seed).random(800) < 0.8).astype(int)
        t = paired_auc(y, scores(y, 0.8, 1000 + seed), scores(y, 0.6, 2000 + seed))
        covered += t.low <= truth <= t.high
    assert 0.90 <= covered / 200 <= 0.99


def test_the_same_ranking_is_no_evidence_and_a_constant_score_is_beaten(labels):
    a = scores(labels, 0.8, 1)
    same = paired_auc(labels, a, 2 * a + 1)  # a monotone transform ranks the rows identically
    assert same.difference == pytest.approx(0.0, abs=1e-12) and not same.better() and same.p_value == 1.0
    assert paired_auc(labels, a, np.full(len(labels), 0.79)).better()


def test_a_challenger_within_noise_is_kept_out_and_the_reason_gives_the_numbers(labels):
    # The challenger is built a little better and measures +0.014 here: real, maybe, but within noise.
    champion, challenger = scores(labels, 0.60, 1), scores(labels, 0.62, 6)
    genres = scores(labels, 0.2, 3)
    baselines = {"majority": {"roc_auc": 0.5, "balanced_accuracy": 0.5}, "genres_only": metrics_of(labels, genres)}
    paired = {
        "majority": paired_auc(labels, challenger, np.full(len(labels), 0.8)),
        "genres_only": paired_auc(labels, challenger, genres),
        "champion": paired_auc(labels, challenger, champion),
    }
    assert paired["champion"].difference > 0 and not paired["champion"].better()
    decision = decide_promotion(
        metrics_of(labels, challenger), baselines, PromotionPolicy(), metrics_of(labels, champion), "v1", paired=paired
    )
    assert not decision.promote
    assert "beats_champion failed" in decision.reason and "not significantly better" in decision.reason
    assert f"difference {paired['champion'].difference:+.4f}" in decision.reason
    assert f"p = {paired['champion'].p_value:.3g}" in decision.reason and "95% interval" in decision.reason
    # The same numbers without the paired test (a bare comparison) would have promoted it.
    assert decide_promotion(metrics_of(labels, challenger), baselines, PromotionPolicy(), metrics_of(labels, champion), "v1").promote


def test_a_clearly_better_challenger_is_promoted(labels):
    champion, challenger = scores(labels, 0.3, 1), scores(labels, 1.0, 2)
    baselines = {"majority": {"roc_auc": 0.5, "balanced_accuracy": 0.5}}
    paired = {
        "majority": paired_auc(labels, challenger, np.full(len(labels), 0.8)),
        "champion": paired_auc(labels, challenger, champion),
    }
    decision = decide_promotion(
        metrics_of(labels, challenger), baselines, PromotionPolicy(), metrics_of(labels, champion), "v1", paired=paired
    )
    assert decision.promote and decision.reason.startswith("promoted: beats champion v1")
    assert "significantly better: difference" in decision.reason
    # A margin above the lower bound keeps even it out.
    strict = PromotionPolicy(margin=paired["champion"].one_sided_low + 0.01)
    assert not decide_promotion(
        metrics_of(labels, challenger), baselines, strict, metrics_of(labels, champion), "v1", paired=paired
    ).promote


def test_a_first_model_within_noise_of_genres_only_is_promoted_only_as_said(labels):
    model, genres = scores(labels, 0.62, 1), scores(labels, 0.60, 2)
    baselines = {"genres_only": metrics_of(labels, genres)}
    paired = {"genres_only": paired_auc(labels, model, genres)}
    assert not paired["genres_only"].better()
    first = decide_promotion(metrics_of(labels, model), baselines, PromotionPolicy(), paired=paired)
    assert first.promote and first.reason.startswith("promoted: first champion, although not significantly better than genres_only")
    strict = decide_promotion(metrics_of(labels, model), baselines, PromotionPolicy(), paired=paired, incumbent_exception=False)
    assert not strict.promote
    # With a champion that is no better proven than genres-only, a challenger significantly better than the
    # champion is held to no more: the point estimate decides against genres-only, and the detail says so.
    weak_champion = scores(labels, 0.1, 4)
    paired_with_champion = {
        **paired,
        "champion": paired_auc(labels, model, weak_champion),
        "champion_vs_genres_only": paired_auc(labels, weak_champion, genres),
    }
    replaced = decide_promotion(
        metrics_of(labels, model), baselines, PromotionPolicy(), metrics_of(labels, weak_champion), "v1", paired=paired_with_champion
    )
    assert replaced.promote and "allowed: champion v1 is not significantly better than genres_only either" in replaced.reason
    # A champion that is significantly better than genres-only sets the bar: the challenger must be too.
    strong_champion = scores(labels, 0.61, 1) + 0.2 * labels
    paired_with_champion["champion_vs_genres_only"] = paired_auc(labels, strong_champion, genres)
    assert paired_with_champion["champion_vs_genres_only"].better()
    kept = decide_promotion(
        metrics_of(labels, model), baselines, PromotionPolicy(), metrics_of(labels, weak_champion), "v1", paired=paired_with_champion
    )
    assert not kept.promote and "beats_genres_only failed" in kept.reason
    # Worse on the point estimate: never promoted, first or not.
    assert not decide_promotion(metrics_of(labels, genres), {"genres_only": metrics_of(labels, model)}, PromotionPolicy(),
                                paired={"genres_only": paired_auc(labels, genres, model)}).promote


def test_the_confidence_is_checked():
    with pytest.raises(ValueError, match="confidence"):
        PromotionPolicy(confidence=1.2)
