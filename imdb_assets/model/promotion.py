"""The promotion rule: does a newly trained challenger replace the champion? (pure Python)

A challenger is promoted only when every rule holds, all measured on the same current test split:

1. it beats each baseline (majority, genres only): better on the promotion metric, and balanced
   accuracy not lower -- the first model ever trained becomes champion only this way;
2. when there is a champion: it beats the champion's metric by at least `margin`, and its balanced
   accuracy is not lower than the champion's by more than `balanced_accuracy_tolerance` (default 0).

The champion is re-scored on today's test split rather than trusted by its own saved metrics, which
were measured on an older dataset. Splits are by tconst hash, so neither model trained on a single
one of today's test titles. The reason lists every rule that failed, so a person sees why at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from imdb_assets.model.evaluate import HIGHER_IS_BETTER

BALANCED_ACCURACY = "balanced_accuracy"


@dataclass(frozen=True)
class PromotionPolicy:
    metric: str = "roc_auc"
    margin: float = 0.005
    balanced_accuracy_tolerance: float = 0.0

    def __post_init__(self) -> None:
        if self.metric not in HIGHER_IS_BETTER:
            raise ValueError(f"promotion metric {self.metric!r} is not one of {', '.join(HIGHER_IS_BETTER)}")
        if self.margin < 0 or self.balanced_accuracy_tolerance < 0:
            raise ValueError("promotion margin and balanced accuracy tolerance must be >= 0")

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


def decide_promotion(
    challenger: dict,
    baselines: dict[str, dict],
    policy: PromotionPolicy,
    champion: dict | None = None,
    champion_version: str | None = None,
    champion_problem: str | None = None,
) -> PromotionDecision:
    """`challenger`, each baseline and `champion` are metric dicts measured on the same test split.

    `champion_problem` says why a champion exists but could not be scored (e.g. its artifact is corrupt):
    then it cannot defend its place, and the challenger needs only to beat the baselines."""
    metric = policy.metric
    rules: list[RuleResult] = []
    for name, baseline in baselines.items():
        metric_ok = policy.better(challenger[metric], baseline[metric])
        accuracy_ok = challenger[BALANCED_ACCURACY] >= baseline[BALANCED_ACCURACY]
        rules.append(
            RuleResult(
                f"beats_{name}",
                metric_ok and accuracy_ok,
                f"{metric} {_fmt(challenger[metric])} vs {name} {_fmt(baseline[metric])}, "
                f"balanced accuracy {_fmt(challenger[BALANCED_ACCURACY])} vs {_fmt(baseline[BALANCED_ACCURACY])}",
            )
        )
    if champion is not None:
        metric_ok = policy.better(challenger[metric], champion[metric], policy.margin)
        accuracy_ok = challenger[BALANCED_ACCURACY] >= champion[BALANCED_ACCURACY] - policy.balanced_accuracy_tolerance
        rules.append(
            RuleResult(
                "beats_champion",
                metric_ok,
                f"{metric} {_fmt(challenger[metric])} vs champion {champion_version} {_fmt(champion[metric])} "
                f"(needs a margin of {policy.margin:g})",
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
    elif champion_problem:
        reason = f"promoted: champion {champion_version} cannot be scored ({champion_problem}); the challenger beats both baselines {where}"
    else:
        reason = f"promoted: first champion, beats both baselines {where} ({'; '.join(r.detail for r in rules)})"
    return PromotionDecision(True, reason, rules)
