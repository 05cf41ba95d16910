"""The promotion step: score the champion on the current test split, apply the rule, move the pointer.

Pure Python over the store interface (no Dagster), so the pipeline and a person at the CLI share it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from imdb_assets.errors import NotReadyError
from imdb_assets.model.evaluate import REPORTED_METRICS, classification_metrics
from imdb_assets.model.pipeline import FEATURE_COLUMNS
from imdb_assets.model.promotion import PromotionDecision, PromotionPolicy, decide_promotion
from imdb_assets.model.store import ModelArtifactError, ModelStore
from imdb_assets.model.text_matrix import predict_probability


@dataclass
class ChampionScore:
    version: str | None
    metrics: dict | None  # on the current test split; None when there is no champion or it cannot load
    problem: str | None = None


@dataclass
class PromotionOutcome:
    decision: PromotionDecision
    challenger_version: str
    champion_before: ChampionScore
    champion_after: str | None
    audit_entry: dict

    @property
    def promoted(self) -> bool:
        return self.decision.promote


def score_champion(store: ModelStore, test: pd.DataFrame) -> ChampionScore:
    """The champion's metrics on these test rows, with its own stored threshold."""
    version = store.champion_version()
    if version is None:
        return ChampionScore(None, None)
    try:
        champion = store.load(version)
    except (ModelArtifactError, NotReadyError) as exc:
        return ChampionScore(version, None, " ".join(str(exc).split()))
    probability = predict_probability(champion.pipeline, test[FEATURE_COLUMNS])
    return ChampionScore(version, classification_metrics(test["label"].to_numpy(), probability, champion.threshold))


def _rounded(metrics: dict | None) -> dict | None:
    return None if metrics is None else {k: round(float(metrics[k]), 5) for k in REPORTED_METRICS}


def promote_if_better(
    store: ModelStore,
    challenger_version: str,
    challenger_metrics: dict,
    baselines: dict[str, dict],
    test: pd.DataFrame,
    policy: PromotionPolicy,
) -> PromotionOutcome:
    """Make the saved challenger champion if it passes the rule (promotion.py); log the decision either way."""
    champion = score_champion(store, test)
    decision = decide_promotion(
        challenger_metrics, baselines, policy, champion.metrics, champion.version, champion.problem
    )
    details = {
        "policy": policy.__dict__,
        "test_rows": len(test),
        "challenger": _rounded(challenger_metrics),
        "champion": _rounded(champion.metrics),
        "champion_problem": champion.problem,
        "baselines": {name: _rounded(metrics) for name, metrics in baselines.items()},
        "rules": [rule.__dict__ for rule in decision.rules],
    }
    if decision.promote:
        entry = store.set_champion(challenger_version, decision.reason, actor="pipeline", details=details)
    else:
        entry = store.log_kept_champion(challenger_version, decision.reason, actor="pipeline", details=details)
    return PromotionOutcome(decision, challenger_version, champion, store.champion_version(), entry)
