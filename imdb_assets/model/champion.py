"""The promotion step: score the champion on the current test split, apply the rule, move the pointer.

Pure Python over the store interface (no Dagster), so the pipeline and a person at the CLI share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from imdb_assets.errors import NotReadyError
from imdb_assets.model.evaluate import REPORTED_METRICS, classification_metrics
from imdb_assets.model.pipeline import FEATURE_COLUMNS
from imdb_assets.model.paired_test import PairedAuc, paired_auc
from imdb_assets.model.promotion import PromotionDecision, PromotionPolicy, decide_promotion
from imdb_assets.model.store import ModelArtifactError, ModelStore


@dataclass
class ChampionScore:
    version: str | None
    metrics: dict | None  # on the current test split; None when there is no champion or it cannot load
    problem: str | None = None
    probability: np.ndarray | None = None  # per test row, for the paired comparison


@dataclass
class PromotionOutcome:
    decision: PromotionDecision
    challenger_version: str
    champion_before: ChampionScore
    champion_after: str | None
    audit_entry: dict
    paired: dict[str, PairedAuc] = field(default_factory=dict)  # the challenger against each reference

    @property
    def promoted(self) -> bool:
        return self.decision.promote


def score_champion(store: ModelStore, test: pd.DataFrame) -> ChampionScore:
    """The champion's metrics on these test rows, with its own stored threshold, scored by the compiled
    scorer that serves it (checked against scikit-learn on probe rows as it is loaded)."""
    from imdb_assets.model.compiled_scorer import load_compiled

    version = store.champion_version()
    if version is None:
        return ChampionScore(None, None)
    try:
        champion = load_compiled(store, version, check=True)
    except (ModelArtifactError, NotReadyError) as exc:
        return ChampionScore(version, None, " ".join(str(exc).split()))
    probability = champion_probability(champion, test)
    return ChampionScore(
        version, classification_metrics(test["label"].to_numpy(), probability, champion.threshold), probability=probability
    )


def champion_probability(champion, test: pd.DataFrame) -> np.ndarray:
    """P(enjoy) of the test rows through a compiled model's scorer."""
    columns = {column: test[column].astype(str).tolist() for column in FEATURE_COLUMNS}
    return champion.score(columns)


def paired_tests(
    test: pd.DataFrame,
    policy: PromotionPolicy,
    challenger: np.ndarray | None,
    baselines: dict[str, np.ndarray],
    champion: np.ndarray | None = None,
) -> dict[str, PairedAuc]:
    """The challenger against each reference scored on the same test rows (none without its scores)."""
    if challenger is None:
        return {}
    labels = test["label"].to_numpy()
    references = {**baselines, **({"champion": champion} if champion is not None else {})}
    tests = {name: paired_auc(labels, challenger, scores, policy.confidence) for name, scores in references.items()}
    if champion is not None:  # what the champion itself proves against each baseline (promotion.py)
        for name, scores in baselines.items():
            tests[f"champion_vs_{name}"] = paired_auc(labels, champion, scores, policy.confidence)
    return tests


def _rounded(metrics: dict | None) -> dict | None:
    return None if metrics is None else {k: round(float(metrics[k]), 5) for k in REPORTED_METRICS}


def promote_if_better(
    store: ModelStore,
    challenger_version: str,
    challenger_metrics: dict,
    baselines: dict[str, dict],
    test: pd.DataFrame,
    policy: PromotionPolicy,
    challenger_probability: np.ndarray | None = None,
    baseline_probabilities: dict[str, np.ndarray] | None = None,
) -> PromotionOutcome:
    """Make the saved challenger champion if it passes the rule (promotion.py); log the decision either way.

    With the challenger's and the baselines' probabilities on the test rows, each comparison is the paired
    test of promotion.py (the champion is scored on the same rows)."""
    champion = score_champion(store, test)
    paired = paired_tests(test, policy, challenger_probability, baseline_probabilities or {}, champion.probability)
    decision = decide_promotion(
        challenger_metrics, baselines, policy, champion.metrics, champion.version, champion.problem, paired
    )
    details = {
        "policy": policy.__dict__,
        "paired_tests": {name: result.as_dict() for name, result in paired.items()},
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
    return PromotionOutcome(decision, challenger_version, champion, store.champion_version(), entry, paired)
