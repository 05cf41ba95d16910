"""The enjoyment model: a challenger trained on every materialization, promoted only when it is better.

One asset, because every training must end in a decision: a model trained but never compared would sit
in the store undecided. Its materialization does, in order:

1. train, select, calibrate and evaluate a challenger, with both baselines, on the current features
   (model/train.py);
2. save it to the model store with its record, plots and card (a new version; `latest` moves), unless
   the store already holds this exact model (same model.zip bytes: an identical retrain on the same
   dataset, code, config and seed), which is then reused as it is, `latest` unchanged;
3. blocking check `artifact_reproduces_predictions`: the saved file, loaded back the way serving loads
   it, holds exactly the in-memory model's parameters and gives exactly its test predictions (and the
   compiled scorer that serves it gives them too) -- if not, the run fails here and nothing is promoted;
4. promotion (model/champion.py): the champion is re-scored on the current test split by the compiled
   scorer and replaced only if the challenger is significantly better (DeLong's paired ROC AUC test,
   model/promotion.py) without losing balanced accuracy, and beats both baselines the same way; the
   decision, its reason and the tests' numbers go to the store's audit log and to this asset's metadata;
5. check `beats_baselines` (WARN): visible in the UI when a model is not significantly better than
   genres alone.

The asset's data version is the champion's version, so anything downstream is stale only when the
model in service changes, not on every retrain. Its code version hashes the source that decides the
model (code_versions.MODEL_SOURCES), so an edit there marks it stale in the UI.
"""

import base64

import numpy as np
import pandas as pd
from dagster import (
    AssetKey,
    AssetRecordsFilter,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Config,
    DataVersion,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from imdb_assets.code_versions import MODEL_SOURCES, source_code_version
from imdb_assets.contracts.features import rating_threshold_of
from imdb_assets.dataset.version import DatasetVersion
from imdb_assets.fault_injection import crash_point
from imdb_assets.model import serialization
from imdb_assets.model.candidates import FAMILY_ORDER
from imdb_assets.model.card import (
    confusion_table,
    display_float,
    display_floats,
    metrics_table,
    model_card,
    paired_tests_table,
    selection_table,
)
from imdb_assets.model.champion import PromotionOutcome, champion_probability, paired_tests, promote_if_better
from imdb_assets.model.evaluate import REPORTED_METRICS
from imdb_assets.model.pipeline import FEATURE_COLUMNS, FeatureSettings
from imdb_assets.model.plots import calibration_png, roc_png
from imdb_assets.model.promotion import PromotionPolicy, decide_promotion
from imdb_assets.model.provenance import code_version
from imdb_assets.model.slices import slices_table
from imdb_assets.model.store import ModelStore, SavedModel
from imdb_assets.model.store_resource import ModelStoreResource
from imdb_assets.model.train import TrainedModel, train_and_evaluate
from imdb_assets.model.training_data import describe as describe_training_data
from imdb_assets.model.training_data import training_data
from imdb_assets.resources.warehouse import raw_table_name
from imdb_assets.model.compiled_scorer import AGREEMENT_TOLERANCE, load_compiled

BASICS_FILE = "title.basics.tsv.gz"  # its ingest records the snapshot's source
REPRODUCTION_CHECK = "artifact_reproduces_predictions"
BASELINE_CHECK = "beats_baselines"
REFERENCE_ROWS = 200  # test rows re-predicted through the saved file's `pipeline.predict_proba`
ROC_FILE, CALIBRATION_FILE, CARD_FILE = "roc.png", "calibration.png", "model_card.md"


class EnjoymentModelConfig(Config):
    seed: int = Field(default=0, description="random seed of every stochastic fit (SGD)")
    families: list[str] = Field(
        default=list(FAMILY_ORDER), description=f"candidate families to search: {', '.join(FAMILY_ORDER)}"
    )
    title_features: bool = Field(
        default=True, description="False trains on genres only (an ablation: what do titles add?)"
    )
    max_word_features: int = Field(default=100_000, description="vocabulary bound of the title word vectorizer")
    max_char_features: int = Field(
        default=30_000, description="vocabulary bound of the title character n-gram vectorizer"
    )
    promotion_metric: str = Field(
        default="roc_auc",
        description="metric the challenger must win on: roc_auc, pr_auc, balanced_accuracy, f1, log_loss, brier",
    )
    promotion_margin: float = Field(
        default=0.0,
        description="how much better than the champion the challenger must be: for roc_auc, the paired test's one-sided lower bound of the difference must be above it",
    )
    promotion_confidence: float = Field(
        default=0.95, description="confidence of the paired ROC AUC test (DeLong, one-sided) behind 'better'"
    )
    balanced_accuracy_tolerance: float = Field(
        default=0.0, description="how much balanced accuracy the challenger may lose against the champion"
    )


def _image_markdown(title: str, png: bytes) -> MetadataValue:
    return MetadataValue.md(f"![{title}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})")


def baseline_paired_tests(trained: TrainedModel, policy: PromotionPolicy) -> dict:
    """The model against each baseline, paired on the test rows (the card shows them; promotion decides on them)."""
    baselines = {name: result.test_probability for name, result in trained.baselines.items()}
    return paired_tests(trained.test, policy, trained.test_probability, baselines)


def _training_source(context: AssetExecutionContext, snapshot_date: str) -> str | None:
    """Where the dataset's newest snapshot was loaded from: the `source` its ingest recorded (None if unknown)."""
    if not snapshot_date:
        return None
    key = AssetKey(f"raw_{raw_table_name(BASICS_FILE)}")
    found = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=key, asset_partitions=[snapshot_date]), limit=1
    ).records
    source = found[0].asset_materialization.metadata.get("source") if found else None
    return None if source is None else str(source.value)


def _record(
    trained: TrainedModel,
    movies_dataset: DatasetVersion,
    rating_threshold: float,
    policy: PromotionPolicy,
    source: str | None = None,
) -> dict:
    return {
        "training_data": training_data(source, movies_dataset.snapshot_date),
        "baseline_tests": {name: test.as_dict() for name, test in baseline_paired_tests(trained, policy).items()},
        "dataset_version": movies_dataset.md5,
        "dataset_snapshot_date": movies_dataset.snapshot_date,
        "rating_threshold": rating_threshold,
        "metrics": trained.metrics,
        "validation_metrics": trained.validation_metrics,
        "baselines": trained.baseline_summaries(),
        "params": trained.params,
        "selection": trained.selection,
        "selection_rule": trained.selection_rule,
        "threshold": trained.threshold,
        "known_genres": trained.known_genres,
        "split": trained.split,
        "code_version": code_version(),
        "training_seconds": trained.timings,
        "slices": trained.slices,
    }


def _reproduction_check(store, version: str, trained: TrainedModel, test: pd.DataFrame) -> AssetCheckResult:
    """The saved file, loaded back as serving loads it, is the trained model: written again it gives the
    bytes the trained model gives (every vocabulary term, idf weight and coefficient equal: equal models
    give equal bytes), and `predict_proba` on the first test rows, the path serving is checked against,
    gives exactly the trained model's test predictions."""
    reference_rows = test.head(REFERENCE_ROWS)
    expected = trained.test_probability[: len(reference_rows)]
    try:
        reloaded = store.load(version)
        same_parameters = serialization.dumps(reloaded.pipeline) == serialization.dumps(trained.pipeline)
        actual = reloaded.pipeline.predict_proba(reference_rows[FEATURE_COLUMNS])[:, 1]
        difference = float(np.max(np.abs(actual - expected))) if len(reference_rows) else 0.0
        # The one scoring path (promotion, predict, HTTP) scores the file compiled: it must agree too.
        compiled = load_compiled(store, version, check=True)
        compiled_difference = (
            float(np.max(np.abs(champion_probability(compiled, reference_rows) - expected))) if len(reference_rows) else 0.0
        )
        if not same_parameters:
            problem = "reloaded model's vocabularies, idf weights or coefficients differ from the trained model's"
        elif difference != 0.0 or reloaded.threshold != trained.threshold:
            problem = f"reloaded model's predictions differ by up to {difference:.3g}"
        elif not compiled_difference <= AGREEMENT_TOLERANCE:
            problem = f"the compiled scorer's predictions differ from the trained model's by up to {compiled_difference:.3g}"
        else:
            problem = None
    except Exception as exc:  # noqa: BLE001 - any failure to load is exactly what this check reports
        same_parameters, difference, compiled_difference = False, float("nan"), float("nan")
        problem = " ".join(str(exc).split())
    return AssetCheckResult(
        check_name=REPRODUCTION_CHECK,
        passed=problem is None,
        severity=AssetCheckSeverity.ERROR,
        description=problem
        or f"the saved artifact holds exactly the trained model and reproduces the test predictions of {len(reference_rows)} movies exactly (scikit-learn) and within {AGREEMENT_TOLERANCE:g} (the compiled scorer)",
        metadata={
            "model_version": version,
            "parameters_equal": same_parameters,
            "rows_compared": len(reference_rows),
            "max_abs_difference": display_float(difference),
            "compiled_scorer_max_abs_difference": display_float(compiled_difference),
        },
    )


def _plots(trained: TrainedModel) -> dict[str, bytes]:
    """ROC and calibration of the model beside the genres-only baseline, on the test split."""
    genres_only = trained.baselines["genres_only"]
    curves = {"model": trained.test_probability, "genres only": genres_only.test_probability}
    return {
        ROC_FILE: roc_png(
            trained.test_labels, curves, {"model": trained.threshold, "genres only": genres_only.threshold}
        ),
        CALIBRATION_FILE: calibration_png(trained.test_labels, curves),
    }


def _baseline_check(trained: TrainedModel, policy: PromotionPolicy) -> AssetCheckResult:
    """The baseline half of the promotion rule on its own, worded as promotion words it (WARN only)."""
    baseline_metrics = {name: result.metrics for name, result in trained.baselines.items()}
    paired = baseline_paired_tests(trained, policy)
    # Strict here: the check says whether the model is significantly better, whatever promotion then does.
    rules = decide_promotion(trained.metrics, baseline_metrics, policy, paired=paired, incumbent_exception=False).rules
    return AssetCheckResult(
        check_name=BASELINE_CHECK,
        passed=all(rule.passed for rule in rules),
        severity=AssetCheckSeverity.WARN,
        description="; ".join(f"{rule.rule} {'passed' if rule.passed else 'failed'}: {rule.detail}" for rule in rules),
        metadata=display_floats(
            {
                f"model_{policy.metric}": float(trained.metrics[policy.metric]),
                **{
                    f"{name}_{policy.metric}": float(metrics[policy.metric])
                    for name, metrics in baseline_metrics.items()
                },
            }
        ),
    )


def _materialization_metadata(
    saved: SavedModel,
    record: dict,
    trained: TrainedModel,
    outcome: PromotionOutcome,
    policy: PromotionPolicy,
    plots: dict[str, bytes],
    file_locations: dict[str, str],
    card: str,
) -> dict:
    """What the UI shows: the decision, the test metrics as floats (plotted over time), tables and plots;
    every float rounded to DISPLAY_DIGITS (the record keeps them whole)."""
    roc, calibration = plots[ROC_FILE], plots[CALIBRATION_FILE]
    champion_metrics = outcome.champion_before.metrics
    baseline_metrics = {name: result.metrics for name, result in trained.baselines.items()}
    return {
        "model_version": saved.version,
        "reused_version": saved.reused,
        "dataset_version": record["dataset_version"],
        "trained_on": describe_training_data(record),
        "champion_version": outcome.champion_after,
        "previous_champion_version": outcome.champion_before.version,
        "promoted": outcome.promoted,
        "promotion_reason": outcome.decision.reason,
        "promotion_metric": policy.metric,
        **display_floats(
            {
                "promotion_margin": float(policy.margin),
                **{name: float(trained.metrics[name]) for name in REPORTED_METRICS},
                "threshold": float(trained.threshold),
            }
        ),
        "baselines": MetadataValue.json(
            display_floats(
                {
                    name: {k: float(m[k]) for k in REPORTED_METRICS}
                    | {"threshold": float(trained.baselines[name].threshold)}
                    for name, m in baseline_metrics.items()
                }
            )
        ),
        "champion_on_current_test_split": MetadataValue.json(
            display_floats({k: float(champion_metrics[k]) for k in REPORTED_METRICS})
            if champion_metrics
            else {"problem": outcome.champion_before.problem}
        ),
        "metrics_vs_baselines": MetadataValue.md(metrics_table(trained.metrics, baseline_metrics)),
        "paired_tests": MetadataValue.json(display_floats({name: test.as_dict() for name, test in outcome.paired.items()})),
        "promotion_tests": MetadataValue.md(
            paired_tests_table({name: test.as_dict() for name, test in outcome.paired.items()})
        ),
        "confusion_matrix": MetadataValue.md(confusion_table(trained.metrics["confusion_matrix"])),
        "slices_by_genre": MetadataValue.md(slices_table(trained.slices["genre"], "genre")),
        "slices_by_decade": MetadataValue.md(slices_table(trained.slices["decade"], "decade")),
        "confusion_matrix_counts": MetadataValue.json(trained.metrics["confusion_matrix"]),
        "candidates": MetadataValue.md(selection_table(trained.selection)),
        "roc_curve": _image_markdown("ROC curve", roc),
        "calibration_curve": _image_markdown("Calibration curve", calibration),
        "roc_curve_file": MetadataValue.path(file_locations[ROC_FILE]),
        "calibration_curve_file": MetadataValue.path(file_locations[CALIBRATION_FILE]),
        "model_card": MetadataValue.md(card),
        "test_rows": int(trained.metrics["rows"]),
        "train_rows": int(trained.split["rows"]["fit"]["rows"] + trained.split["rows"]["validation"]["rows"]),
        "validation_rows": int(trained.split["rows"]["validation"]["rows"]),
        "params": MetadataValue.json(display_floats(trained.params)),
        "code_version": MetadataValue.json(record["code_version"]),
        "training_seconds": MetadataValue.json(display_floats(trained.timings)),
    }


def _save_challenger(
    context: AssetExecutionContext, store: ModelStore, trained: TrainedModel, record: dict, plots: dict[str, bytes]
) -> SavedModel:
    """The challenger in the store: a new version, or the stored version holding exactly this model."""
    saved = store.store_model(trained.pipeline, record, files=plots)
    crash_point("model.saved")
    if saved.reused:
        # An identical retrain (same dataset, code, config and seed) trains the same model byte for byte.
        context.log.info(
            f"challenger is identical to stored model {saved.version} (same model.zip): reused it, nothing was "
            f"written and `latest` stays {store.latest_trained_version()}"
        )
    return saved


def _card_of(
    context: AssetExecutionContext, store: ModelStore, saved: SavedModel, record: dict, reason: str
) -> tuple[str, str | None]:
    """The version's model card and where it lives: a reused version keeps the card written when it was
    first decided (its files never change); a new one gets a card describing this decision."""
    if saved.reused and CARD_FILE in store.version_files(saved.version):
        stored = store.read_file(saved.version, CARD_FILE).decode("utf-8")
        return stored, store.file_location(saved.version, CARD_FILE)
    card = model_card(record, reason)
    try:
        # The card describes the decision, so it joins the version's files once the decision is made.
        return card, store.attach_file(saved.version, CARD_FILE, card.encode("utf-8"))
    except OSError as exc:
        context.log.warning(f"could not save the model card next to {saved.version}: {exc}")
        return card, None


@asset(
    group_name="model",
    kinds={"scikitlearn"},
    code_version=source_code_version(*MODEL_SOURCES),
    check_specs=[
        AssetCheckSpec(
            REPRODUCTION_CHECK,
            asset="enjoyment_model",
            blocking=True,
            description="The saved model, loaded back with checksum verification, holds exactly the trained model's vocabularies, idf weights and coefficients, and reproduces its test predictions exactly.",
        ),
        AssetCheckSpec(
            BASELINE_CHECK,
            asset="enjoyment_model",
            description="The newly trained model beats the majority-class and genres-only baselines on the held-out test split.",
        ),
    ],
)
def enjoyment_model(
    context: AssetExecutionContext,
    config: EnjoymentModelConfig,
    movie_features: pd.DataFrame,
    movies_dataset: DatasetVersion,
    model_store: ModelStoreResource,
):
    """Trains a challenger (TF-IDF title words and characters, genres and genre pairs; logistic, linear SVM
    and complement naive Bayes candidates chosen on a validation split; Platt-calibrated; threshold chosen
    on validation for balanced accuracy), evaluates it on the held-out test split beside a majority-class
    and a genres-only baseline, saves it to the model store (or reuses the stored version holding exactly
    this model), and promotes it to champion only if it is significantly better than the current champion
    on the current test split (paired ROC AUC test at `promotion_confidence`, lower bound above
    `promotion_margin`) without losing balanced accuracy, and beats both baselines. Metadata: metrics,
    paired tests, per-genre and per-decade slices, what it was trained on, plots and the model card. Data
    version: the champion's version."""
    # The threshold the input's labels were computed with, read before training so a frame without one fails fast.
    rating_threshold = rating_threshold_of(movie_features)
    store = model_store.store()
    policy = PromotionPolicy(
        config.promotion_metric, config.promotion_margin, config.balanced_accuracy_tolerance, config.promotion_confidence
    )
    settings = FeatureSettings(
        title_features=config.title_features,
        max_word_features=config.max_word_features,
        max_char_features=config.max_char_features,
    )
    trained = train_and_evaluate(
        movie_features, seed=config.seed, families=tuple(config.families), feature_settings=settings
    )
    test = trained.test  # the split is hashed once, in training
    plots = _plots(trained)
    record = _record(
        trained, movies_dataset, rating_threshold, policy, _training_source(context, movies_dataset.snapshot_date)
    )
    saved = _save_challenger(context, store, trained, record, plots)
    version = saved.version
    record = store.record(version)
    context.log.info(
        f"challenger {version}: test ROC AUC {trained.metrics['roc_auc']:.4f} on {trained.metrics['rows']} movies"
    )
    reproduction = _reproduction_check(store, version, trained, test)
    baseline_check = _baseline_check(trained, policy)
    if not reproduction.passed:
        # Blocking: the step fails after reporting; the unreproducible version is never promoted.
        context.log.error(f"model {version} is not promoted: {reproduction.description}")
        return MaterializeResult(
            data_version=DataVersion(store.champion_version() or "no-champion"),
            metadata={
                "model_version": version,
                "reused_version": saved.reused,
                "promoted": False,
                "promotion_reason": f"not promoted: {reproduction.description}",
            },
            check_results=[reproduction, baseline_check],
        )

    baseline_metrics = {name: result.metrics for name, result in trained.baselines.items()}
    outcome = promote_if_better(
        store,
        version,
        trained.metrics,
        baseline_metrics,
        test,
        policy,
        trained.test_probability,
        {name: result.test_probability for name, result in trained.baselines.items()},
    )
    crash_point("model.decided")
    context.log.info(outcome.decision.reason)
    card, card_location = _card_of(context, store, saved, record, outcome.decision.reason)
    file_locations = {name: store.file_location(version, name) for name in plots}
    metadata = _materialization_metadata(saved, record, trained, outcome, policy, plots, file_locations, card)
    if card_location:
        metadata["model_card_file"] = MetadataValue.path(card_location)
    return MaterializeResult(
        data_version=DataVersion(outcome.champion_after or "no-champion"),
        metadata=metadata,
        check_results=[reproduction, baseline_check],
    )
