"""The promotion rule: does a newly trained challenger replace the champion? (pure Python)

A challenger is promoted only when every rule holds, all measured on the same current test split:

1. it beats each baseline (majority, genres only): better on the promotion metric, and balanced
   accuracy not lower -- the first model ever trained becomes champion only this way;
2. when there is a champion: it beats the champion's metric by more than `margin`, and its balanced
   accuracy is not lower than the champion's by more than `balanced_accuracy_tolerance` (default 0).

"Better" on ROC AUC (the default metric) is a paired test, not a bare comparison of two numbers: the
challenger and each reference are scored on the same test rows and compared by DeLong's test
(paired_test.py); better means the one-sided lower bound of the AUC difference at `confidence`
(default 95 %) is above the margin (0 for baselines). A challenger within noise of the champion stays
out, and the reason gives the difference, its interval and p-value. One exception, stated in the
reason: with no champion at all, a first model that beats genres-only on the point estimate but not
significantly is still promoted (nothing else would serve), and the next challenger must beat it
significantly; likewise a challenger is not held to more against a baseline than the champion it
would replace: if the champion is not significantly better than that baseline either, the point
estimate decides there (and the rule's detail says so). Other metrics, and callers without per-row
scores, compare the point estimates.

The champion is re-scored on today's test split rather than trusted by its own saved metrics, which
were measured on an older dataset. Splits are by tconst hash, so neither model trained on a single
one of today's test titles. The reason lists every rule that failed, so a person sees why at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from imdb_assets.model.evaluate import HIGHER_IS_BETTER
from imdb_assets.model.paired_test import DEFAULT_CONFIDENCE, PairedAuc

BALANCED_ACCURACY = "balanced_accuracy"


@dataclass(frozen=True)
class PromotionPolicy:
    metric: str = "roc_auc"
    margin: float = 0.0
    balanced_accuracy_tolerance: float = 0.0
    confidence: float = DEFAULT_CONFIDENCE  # of the paired test's one-sided lower bound

    def __post_init__(self) -> None:
        if self.metric not in HIGHER_IS_BETTER:
            raise ValueError(f"promotion metric {self.metric!r} is not one of {', '.join(HIGHER_IS_BETTER)}")
        if self.margin < 0 or self.balanced_accuracy_tolerance < 0:
            raise ValueError("promotion margin and balanced accuracy tolerance must be >= 0")
        if not 0.5 < self.confidence < 1.0:
            raise ValueError(f"promotion confidence {self.confidence} must be between 0.5 and 1")

    @property
    def paired(self) -> bool:
        """Whether the metric is decided by the paired test (ROC AUC) rather than by point estimates."""
        return self.metric == "roc_auc"

    def better(self, challenger: float, reference: float, margin: float = 0.0) -> bool:
        """Challenger beats reference by at least `margin` (strictly better when margin is 0)."""
        if HIGHER_IS_BETTER[self.metric]:
            return challenger > reference if margin == 0 else challenger >= reference + margin
        return challenger < reference if margin == 0 else challenger <= reference - margin


@dataclass(frozen=True)
class RuleResult:
    rule: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class PromotionDecision:
    promote: bool
    reason: str
    rules: list[RuleResult] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"promote": self.promote, "reason": self.reason, "rules": [r.__dict__ for r in self.rules]}


def _fmt(value: float) -> str:
    return f"{value:.4f}"


def _significance(test: PairedAuc, margin: float) -> str:
    verdict = "significantly better" if test.better(margin) else "not significantly better"
    above = f" than the margin {margin:g}" if margin else ""
    return (
        f"{verdict}{above}: difference {test.difference:+.4f}, {test.confidence:.0%} interval "
        f"[{test.low:+.4f}, {test.high:+.4f}], one-sided lower bound {test.one_sided_low:+.4f}, "
        f"p = {test.p_value:.3g} (DeLong, paired on {test.rows} rows)"
    )


def decide_promotion(
    challenger: dict,
    baselines: dict[str, dict],
    policy: PromotionPolicy,
    champion: dict | None = None,
    champion_version: str | None = None,
    champion_problem: str | None = None,
    paired: dict[str, PairedAuc] | None = None,
    incumbent_exception: bool = True,
) -> PromotionDecision:
    """`challenger`, each baseline and `champion` are metric dicts measured on the same test split.

    `paired` holds the paired test of the challenger against each reference (its baseline names and
    "champion") on those rows; with it, and ROC AUC as the metric, "better" means significantly better.
    `champion_problem` says why a champion exists but could not be scored (e.g. its artifact is corrupt):
    then it cannot defend its place, and the challenger needs only to beat the baselines."""
    metric = policy.metric
    paired = paired or {}
    rules: list[RuleResult] = []
    first_champion_despite_noise = None
    for name, baseline in baselines.items():
        test = paired.get(name) if policy.paired else None
        point_ok = policy.better(challenger[metric], baseline[metric])
        metric_ok = test.better() if test else point_ok
        accuracy_ok = challenger[BALANCED_ACCURACY] >= baseline[BALANCED_ACCURACY]
        detail = (
            f"{metric} {_fmt(challenger[metric])} vs {name} {_fmt(baseline[metric])}, "
            f"balanced accuracy {_fmt(challenger[BALANCED_ACCURACY])} vs {_fmt(baseline[BALANCED_ACCURACY])}"
        )
        if test:
            detail += f"; {_significance(test, 0.0)}"
        passed = metric_ok and accuracy_ok
        incumbent = paired.get(f"champion_vs_{name}")
        if not passed and incumbent_exception and test and point_ok and accuracy_ok:
            # Not held to more than what it would replace: nothing (no champion), or a champion that is not
            # significantly better than this baseline either. The point estimate decides, said plainly.
            if champion is None:
                first_champion_despite_noise = name
                passed = True
                detail += "; allowed: there is no champion to keep"
            elif incumbent is not None and not incumbent.better():
                passed = True
                detail += (
                    f"; allowed: champion {champion_version} is not significantly better than {name} either "
                    f"(difference {incumbent.difference:+.4f}, p = {incumbent.p_value:.3g})"
                )
        rules.append(RuleResult(f"beats_{name}", passed, detail))
    if champion is not None:
        test = paired.get("champion") if policy.paired else None
        metric_ok = test.better(policy.margin) if test else policy.better(challenger[metric], champion[metric], policy.margin)
        accuracy_ok = challenger[BALANCED_ACCURACY] >= champion[BALANCED_ACCURACY] - policy.balanced_accuracy_tolerance
        how = f"; {_significance(test, policy.margin)}" if test else f" (needs a margin of {policy.margin:g})"
        rules.append(
            RuleResult(
                "beats_champion",
                metric_ok,
                f"{metric} {_fmt(challenger[metric])} vs champion {champion_version} {_fmt(champion[metric])}{how}",
            )
        )
        rules.append(
            RuleResult(
                "keeps_balanced_accuracy",
                accuracy_ok,
                f"balanced accuracy {_fmt(challenger[BALANCED_ACCURACY])} vs champion {_fmt(champion[BALANCED_ACCURACY])}"
                + (
                    f" (tolerance {policy.balanced_accuracy_tolerance:g})" if policy.balanced_accuracy_tolerance else ""
                ),
            )
        )
    failed = [r for r in rules if not r.passed]
    where = "on the current test split"
    if failed:
        stays = f"champion {champion_version} stays" if champion_version else "no champion yet"
        return PromotionDecision(
            False,
            f"not promoted ({stays}): " + "; ".join(f"{r.rule} failed: {r.detail}" for r in failed) + f" {where}",
            rules,
        )
    if champion is not None:
        reason = f"promoted: beats champion {champion_version} {where} ({'; '.join(r.detail for r in rules[-2:])}) and both baselines"
        allowed = [f"{r.rule}: {r.detail}" for r in rules if "; allowed: " in r.detail]
        if allowed:
            reason += f" ({'; '.join(allowed)})"
    elif champion_problem:
        reason = f"promoted: champion {champion_version} cannot be scored ({champion_problem}); the challenger beats both baselines {where}"
    elif first_champion_despite_noise and champion_problem is None:
        reason = (
            f"promoted: first champion, although not significantly better than {first_champion_despite_noise} "
            f"{where} (no champion to keep: the point estimate decided; the next challenger must beat it "
            f"significantly) ({'; '.join(r.detail for r in rules)})"
        )
    else:
        reason = f"promoted: first champion, beats both baselines {where} ({'; '.join(r.detail for r in rules)})"
    return PromotionDecision(True, reason, rules)
