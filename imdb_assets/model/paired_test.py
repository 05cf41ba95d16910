"""Is one model's ROC AUC really higher than another's on the same rows? DeLong's paired test (numpy + scipy).

Two models scored on the same test rows make correlated errors, so their AUCs must be compared paired,
not as two independent numbers: DeLong, DeLong & Clarke-Pearson (1988) give the covariance of two AUCs
measured on the same rows from each row's "structural components"; Sun & Xu (2014) compute them from
midranks in O(n log n). The difference's standard error gives a two-sided interval and a one-sided lower
bound at the stated confidence; "significantly better" means that lower bound is above the margin.
Deterministic (no resampling), so a rerun on the same rows gives the same decision.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import norm, rankdata

DEFAULT_CONFIDENCE = 0.95
METHOD = "DeLong paired test of ROC AUC on the same test rows"


@dataclass(frozen=True)
class PairedAuc:
    challenger: float
    reference: float
    difference: float  # challenger - reference
    standard_error: float
    low: float  # two-sided interval of the difference at `confidence`
    high: float
    one_sided_low: float  # the difference is above this with probability `confidence`
    p_value: float  # one-sided: the chance of a difference this large if the challenger were no better
    confidence: float
    rows: int
    positives: int

    def better(self, margin: float = 0.0) -> bool:
        """Significantly better: the one-sided lower bound of the difference is above `margin`."""
        return self.one_sided_low > margin

    def as_dict(self) -> dict:
        return {key: round(value, 5) if isinstance(value, float) else value for key, value in asdict(self).items()}

    def describe(self) -> str:
        return (
            f"ROC AUC {self.challenger:.4f} vs {self.reference:.4f}: difference {self.difference:+.4f}, "
            f"{self.confidence:.0%} interval [{self.low:+.4f}, {self.high:+.4f}], one-sided lower bound "
            f"{self.one_sided_low:+.4f} (p = {self.p_value:.3g}, {self.rows} rows, DeLong paired)"
        )


def _components(score: np.ndarray, positive: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(AUC, per-positive and per-negative structural components) from midranks."""
    m, n = int(positive.sum()), int((~positive).sum())
    all_ranks = rankdata(score)
    positive_ranks = rankdata(score[positive])
    negative_ranks = rankdata(score[~positive])
    auc = (all_ranks[positive].sum() - m * (m + 1) / 2) / (m * n)
    v_positive = (all_ranks[positive] - positive_ranks) / n
    v_negative = 1.0 - (all_ranks[~positive] - negative_ranks) / m
    return float(auc), v_positive, v_negative


def paired_auc(
    labels: np.ndarray, challenger: np.ndarray, reference: np.ndarray, confidence: float = DEFAULT_CONFIDENCE
) -> PairedAuc:
    """DeLong's test of ROC AUC(challenger) - ROC AUC(reference), both scored on the rows of `labels`."""
    if not 0.5 < confidence < 1.0:
        raise ValueError(f"confidence {confidence} must be between 0.5 and 1")
    positive = np.asarray(labels).astype(int) == 1
    m, n = int(positive.sum()), int((~positive).sum())
    if m < 2 or n < 2:
        raise ValueError(f"a paired ROC AUC test needs at least 2 rows of each class ({m} positive, {n} negative)")
    auc_c, pos_c, neg_c = _components(np.asarray(challenger, dtype=float), positive)
    auc_r, pos_r, neg_r = _components(np.asarray(reference, dtype=float), positive)
    cov_pos = np.cov(np.vstack([pos_c, pos_r]))
    cov_neg = np.cov(np.vstack([neg_c, neg_r]))
    s = cov_pos / m + cov_neg / n
    variance = max(float(s[0, 0] + s[1, 1] - 2 * s[0, 1]), 0.0)
    se = math.sqrt(variance)
    difference = auc_c - auc_r
    two_sided, one_sided = norm.ppf(0.5 + confidence / 2), norm.ppf(confidence)
    if se > 0:
        p_value = float(norm.sf(difference / se))
    else:  # the same ranking on every row (e.g. an identical retrain): no evidence either way
        p_value = 0.0 if difference > 0 else 1.0
    return PairedAuc(
        challenger=auc_c,
        reference=auc_r,
        difference=difference,
        standard_error=se,
        low=float(difference - two_sided * se),
        high=float(difference + two_sided * se),
        one_sided_low=float(difference - one_sided * se),
        p_value=p_value,
        confidence=confidence,
        rows=m + n,
        positives=m,
    )
