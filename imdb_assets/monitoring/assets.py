"""Monitoring assets (group `monitoring`): the prediction log as a table, drift of what the server is asked
against the champion's training data, and the served answers scored once IMDb rates the titles.

The statistics live in statistics.py and outcomes.py; these assets read their inputs, call them and
show the result (tables, a plot, WARN checks). Every check is evaluated in its asset's run.
"""


import base64
import hashlib
import json
from datetime import timedelta

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Config,
    DataVersion,
    MaterializeResult,
    MetadataValue,
    Output,
    asset,
)
from pydantic import Field

from imdb_assets.code_versions import MONITORING_SOURCES, source_code_version
from imdb_assets.contracts.features import DEFAULT_RATING_THRESHOLD
from imdb_assets.dataset.version import DatasetVersion
from imdb_assets.text_cleaning import split_genres
from imdb_assets.model.store_resource import ModelStoreResource
from imdb_assets.monitoring.outcomes import outcomes, ratings_of, snapshot_loads
from imdb_assets.monitoring.plots import drift_png
from imdb_assets.monitoring.served_log import log_summary, read_served_log
from imdb_assets.monitoring.statistics import DriftThresholds, LiveThresholds, drift_report, live_alert, live_performance
from imdb_assets.resources.warehouse import Warehouse
from imdb_assets.serving.batch_predictor import predict_batch, prepare_serving_model
from imdb_assets.serving.prediction_log_store import prediction_log_location, prediction_log_store_at

GROUP = "monitoring"
MONITORING_CODE_VERSION = source_code_version(*MONITORING_SOURCES)
DIGITS = 4
DRIFT_CHECKS = {
    "genre_psi": "genre_mix_drift",
    "unknown_genre_rate": "unknown_genre_rate",
    "title_length_ks": "title_length_drift",
    "positive_rate": "positive_rate_drift",
    "probability_ks": "probability_drift",
}
LIVE_CHECK = "live_roc_auc_vs_test"
# The champion's test split is scored again for the probability KS; a bounded sample keeps it cheap at IMDb's size.
MAX_REFERENCE_TEST_ROWS = 50_000


def _round(value):
    return None if value is None else round(float(value), DIGITS)


def _markdown_table(rows: list[dict], columns: list[str]) -> str:
    if not rows:
        return "(none)"
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [f"{row[c]:.{DIGITS}f}" if isinstance(row[c], float) else str(row[c]) for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _check_value(value) -> dict:
    return {} if value is None else {"value": float(value)}


def _png_markdown(title: str, png: bytes) -> MetadataValue:
    return MetadataValue.md(f"![{title}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})")


class ServedPredictionsConfig(Config):
    location: str = Field(
        default="",
        description="folder or gs://bucket/prefix of the prediction log (default: where `serve` and `predict` log in this "
        "environment: $IMDB_ASSETS_HOME/predictions, prod: predictions/ under the lake)",
    )


@asset(group_name=GROUP, kinds={"parquet"}, io_manager_key="parquet_io_manager", code_version=MONITORING_CODE_VERSION)
def served_predictions(context: AssetExecutionContext, config: ServedPredictionsConfig) -> Output[pd.DataFrame]:
    """Every prediction `imdb-assets serve` and `imdb-assets predict` answered, read from the prediction log
    (`$IMDB_ASSETS_HOME/predictions/day=YYYY-MM-DD/*.parquet`, prod: `predictions/` under the lake): time,
    request id, model version, title, known and unknown genres, probability, label, threshold and the
    caller's tconst. Data version: the list of batch files (write-once), so it changes when new ones arrive."""
    store = prediction_log_store_at(config.location or prediction_log_location())
    log = read_served_log(store)
    for name, problem in log.unreadable.items():
        context.log.warning(f"prediction log file {store.location(name)} is unreadable and was skipped: {problem}")
    summary = log_summary(log.frame)
    day_rows = [{"day": day, "predictions": count} for day, count in summary["by_day"].items()]
    version_rows = [{"model_version": v, "predictions": count} for v, count in summary["by_model_version"].items()]
    return Output(
        log.frame,
        data_version=DataVersion(log.content_version),
        metadata={
            "dagster/row_count": summary["rows"],
            "rows_with_tconst": summary["rows_with_tconst"],
            "log_files": len(log.files),
            "unreadable_files": len(log.unreadable),
            "log_location": MetadataValue.path(store.location()),
            "per_day": MetadataValue.md(_markdown_table(day_rows, ["day", "predictions"])),
            "per_model_version": MetadataValue.md(_markdown_table(version_rows, ["model_version", "predictions"])),
            "summary": MetadataValue.json(summary),
        },
    )


class DriftConfig(Config):
    genre_psi: float = Field(default=DriftThresholds.genre_psi, description="WARN when the genre mix PSI is above this (0.2: a large shift)")
    unknown_genre_rate: float = Field(default=DriftThresholds.unknown_genre_rate, description="WARN when more than this share of served items carry a genre the model never saw")
    title_length_ks: float = Field(default=DriftThresholds.title_length_ks, description="WARN when the KS statistic of title lengths (served vs training) is above this")
    positive_rate_difference: float = Field(default=DriftThresholds.positive_rate_difference, description="WARN when the served positive rate is further than this from the champion's on its test split")
    probability_ks: float = Field(default=DriftThresholds.probability_ks, description="WARN when the KS statistic of probabilities (served vs the champion on its test split) is above this")
    min_rows: int = Field(default=DriftThresholds.min_rows, description="no drift check warns before this many served predictions are in the window")
    window_days: int = Field(default=7, description="served predictions of the last this many days (to the newest one) are compared")


def _champion(store):
    version = store.champion_version()
    if version is None:
        return None, {}
    return version, store.record(version)


def _test_probabilities(store, champion_version: str, test: pd.DataFrame) -> list[float]:
    if champion_version is None or test.empty:
        return []
    sample = test.sample(n=min(len(test), MAX_REFERENCE_TEST_ROWS), random_state=0) if len(test) > MAX_REFERENCE_TEST_ROWS else test
    model = prepare_serving_model(store, champion_version)
    rows = list(zip(sample["title"].astype(str), sample["genres"].astype(str)))
    return [prediction.probability for prediction in predict_batch(model, rows)]


def _window(served: pd.DataFrame, days: int) -> pd.DataFrame:
    if served.empty:
        return served
    return served[served["logged_at"] > served["logged_at"].max() - timedelta(days=days)]


@asset(
    group_name=GROUP,
    code_version=MONITORING_CODE_VERSION,
    deps=["enjoyment_model"],
    check_specs=[
        AssetCheckSpec(name, asset="prediction_drift", description=f"WARN when {what} passes its threshold (config of prediction_drift)")
        for name, what in {
            "genre_mix_drift": "the genre mix PSI of served items against the training split",
            "unknown_genre_rate": "the share of served items with a genre the model never saw",
            "title_length_drift": "the KS statistic of served title lengths against the training split",
            "positive_rate_drift": "the gap between the served positive rate and the champion's on its test split",
            "probability_drift": "the KS statistic of served probabilities against the champion's on its test split",
        }.items()
    ],
)
def prediction_drift(
    context: AssetExecutionContext,
    config: DriftConfig,
    served_predictions: pd.DataFrame,
    movie_features: pd.DataFrame,
    movies_dataset: DatasetVersion,
    model_store: ModelStoreResource,
) -> MaterializeResult:
    """What the server was asked and answered against the champion's training data: genre mix PSI,
    unknown-genre rate, title-length KS (served items vs the training split of `movie_features`),
    served positive rate vs the champion's on its test split, and probability KS (served answers of
    the champion vs the champion scoring its test split). Checks WARN past the configured thresholds."""
    store = model_store.store()
    champion_version, record = _champion(store)
    served = _window(served_predictions, config.window_days)
    train = movie_features[movie_features["split"] == "train"]
    test = movie_features[movie_features["split"] == "test"]
    by_champion = served[served["model_version"] == champion_version]
    test_probabilities = _test_probabilities(store, champion_version, test)
    thresholds = DriftThresholds(config.genre_psi, config.unknown_genre_rate, config.title_length_ks, config.positive_rate_difference, config.probability_ks, config.min_rows)
    report = drift_report(
        training_genres=[split_genres(g) for g in train["genres"].astype(str)],
        training_title_lengths=train["title"].astype(str).str.len().tolist(),
        test_positive_rate=record.get("metrics", {}).get("positive_rate"),
        test_probabilities=test_probabilities,
        served_genres=served["genres"].tolist(),
        served_unknown_genres=served["unknown_genres"].tolist(),
        served_title_lengths=served["title"].astype(str).str.len().tolist(),
        served_labels=by_champion["label"].tolist() if len(by_champion) else [],
        served_probabilities=by_champion["probability"].tolist(),
        thresholds=thresholds,
    )
    summary = {
        "rows": len(served),
        "rows_by_champion": len(by_champion),
        "champion_version": champion_version,
        "genre_psi": _round(report.genre_psi),
        "unknown_genre_rate": _round(report.unknown_genre_rate),
        "title_length_ks": _round(report.title_length_ks.statistic),
        "served_positive_rate": _round(report.served_positive_rate),
        "training_positive_rate": _round(report.training_positive_rate),
        "probability_ks": _round(report.probability_ks.statistic),
        "alerts": list(report.alerts.values()),
        "alert_keys": sorted(report.alerts),
    }
    # The reference is the current features; the champion records the dataset it was trained on.
    reference_matches = record.get("dataset_version") in (None, movies_dataset.md5)
    if not reference_matches:
        context.log.warning(
            f"the training reference (dataset {movies_dataset.md5}) is not the champion's dataset ({record.get('dataset_version')})"
        )
    measures = [
        {"measure": "genre mix PSI", "value": summary["genre_psi"], "warn above": config.genre_psi},
        {"measure": "unknown-genre rate", "value": summary["unknown_genre_rate"], "warn above": config.unknown_genre_rate},
        {"measure": "title length KS", "value": summary["title_length_ks"], "warn above": config.title_length_ks},
        {"measure": "served positive rate", "value": summary["served_positive_rate"], "warn above": f"±{config.positive_rate_difference} of test"},
        {"measure": "champion's test positive rate", "value": summary["training_positive_rate"], "warn above": ""},
        {"measure": "probability KS", "value": summary["probability_ks"], "warn above": config.probability_ks},
    ]
    for row in measures:
        row["value"] = "n/a" if row["value"] is None else row["value"]
    genre_rows = [{k: (round(v, DIGITS) if isinstance(v, float) else v) for k, v in row.items()} for row in report.genre_table[:20]]
    checks = [
        AssetCheckResult(
            check_name=check,
            passed=measure not in report.alerts,
            severity=AssetCheckSeverity.WARN,
            description=report.alerts.get(measure)
            or (f"within threshold over {len(served)} served predictions" if len(served) >= config.min_rows else f"only {len(served)} served predictions (fewer than {config.min_rows}): not judged"),
            metadata=_check_value(summary.get(measure if measure != "positive_rate" else "served_positive_rate")),
        )
        for measure, check in DRIFT_CHECKS.items()
    ]
    plot = drift_png(report.genre_table, test_probabilities, by_champion["probability"].tolist())
    return MaterializeResult(
        data_version=DataVersion(hashlib.sha256(json.dumps(summary, sort_keys=True, default=str).encode()).hexdigest()[:16]),
        metadata={
            "served_rows": len(served),
            "champion_version": str(champion_version),
            "reference_dataset_version": movies_dataset.md5,
            "reference_is_champion_dataset": reference_matches,
            "training_rows": len(train),
            "alerts": MetadataValue.md("\n".join(f"- {a}" for a in summary["alerts"]) or "none"),
            "measures": MetadataValue.md(_markdown_table(measures, ["measure", "value", "warn above"])),
            "genre_mix": MetadataValue.md(_markdown_table(genre_rows, ["genre", "training_share", "served_share", "psi_term"])),
            "drift_plot": _png_markdown("drift", plot),
            "summary": MetadataValue.json(summary),
            **{k: v for k, v in summary.items() if isinstance(v, float)},
        },
        check_results=checks,
    )


class LivePerformanceConfig(Config):
    roc_auc_margin: float = Field(default=LiveThresholds.roc_auc_margin, description="WARN when live ROC AUC is more than this below the model's test ROC AUC")
    min_rows: int = Field(
        default=LiveThresholds.min_rows,
        description="rows with an outcome a model version needs before the check judges it (with 200 rows the standard error of ROC AUC is about 0.03)",
    )


@asset(
    group_name=GROUP,
    code_version=MONITORING_CODE_VERSION,
    deps=["raw_title_ratings", "enjoyment_model"],
    check_specs=[
        AssetCheckSpec(
            LIVE_CHECK,
            asset="live_model_performance",
            description="WARN when a model version's live ROC AUC is more than the configured margin below its test ROC AUC, once it has enough rows with an outcome",
        )
    ],
)
def live_model_performance(
    context: AssetExecutionContext,
    config: LivePerformanceConfig,
    served_predictions: pd.DataFrame,
    warehouse: Warehouse,
    model_store: ModelStoreResource,
) -> MaterializeResult:
    """Served predictions that carried a tconst, joined with the rating of the latest snapshot loaded
    after the prediction (raw `title_ratings`): per model version, rows with an outcome (rated at least
    the model's rating threshold), ROC AUC, balanced accuracy and calibration, beside the version's own
    test-split metrics from its `model.json`."""
    store = model_store.store()
    champion_version, champion_record = _champion(store)
    with_tconst = served_predictions[served_predictions["tconst"].notna()]
    ratings = ratings_of(warehouse, with_tconst["tconst"].tolist())
    loads = snapshot_loads(warehouse)
    scored = []
    for version, rows in with_tconst.groupby("model_version", sort=True):
        try:
            record = store.record(version)
        except (FileNotFoundError, ValueError) as exc:
            context.log.warning(f"model {version} has no readable record ({exc}); its answers are scored against the champion's threshold")
            record = champion_record
        rated = outcomes(rows, ratings, loads, float(record.get("rating_threshold", DEFAULT_RATING_THRESHOLD)))
        if rated.empty:
            continue
        scored.append(live_performance(version, rated["outcome"].tolist(), rated["probability"].tolist(), rated["label"].tolist(), record.get("metrics", {})))
    thresholds = LiveThresholds(config.roc_auc_margin, config.min_rows)
    alert_by_version = {p.model_version: live_alert(p, thresholds) for p in scored}
    alerts = [alert for alert in alert_by_version.values() if alert]
    total = sum(p.rows_with_outcome for p in scored)
    champion = next((p for p in scored if p.model_version == champion_version), None)
    test_roc_auc = champion.test_roc_auc if champion else (champion_record.get("metrics", {}).get("roc_auc") if champion_record else None)
    summary = {
        "rows_with_outcome": total,
        "served_with_tconst": len(with_tconst),
        "champion_version": champion_version,
        "roc_auc": _round(champion.roc_auc) if champion else None,
        "balanced_accuracy": _round(champion.balanced_accuracy) if champion else None,
        "test_roc_auc": _round(test_roc_auc),
        "alerts": alerts,
        "alert_keys": sorted(v for v, alert in alert_by_version.items() if alert),
        "by_model_version": {
            p.model_version: {
                "rows_with_outcome": p.rows_with_outcome,
                "roc_auc": _round(p.roc_auc),
                "balanced_accuracy": _round(p.balanced_accuracy),
                "observed_positive_rate": _round(p.observed_positive_rate),
                "mean_probability": _round(p.mean_probability),
                "expected_calibration_error": _round(p.expected_calibration_error),
                "test_roc_auc": _round(p.test_roc_auc),
                "test_balanced_accuracy": _round(p.test_balanced_accuracy),
            }
            for p in scored
        },
    }
    version_rows = [{"model_version": v, **{k: ("n/a" if x is None else x) for k, x in m.items()}} for v, m in summary["by_model_version"].items()]
    calibration = champion.calibration if champion else []
    check = AssetCheckResult(
        check_name=LIVE_CHECK,
        passed=not alerts,
        severity=AssetCheckSeverity.WARN,
        description="; ".join(alerts)
        or f"{total} served predictions with an outcome; no model version is more than {config.roc_auc_margin:g} below its test ROC AUC with at least {config.min_rows} rows",
        metadata={"rows_with_outcome": total},
    )
    return MaterializeResult(
        data_version=DataVersion(hashlib.sha256(json.dumps(summary, sort_keys=True, default=str).encode()).hexdigest()[:16]),
        metadata={
            "rows_with_outcome": total,
            "served_with_tconst": len(with_tconst),
            "alerts": MetadataValue.md("\n".join(f"- {a}" for a in alerts) or "none"),
            "per_model_version": MetadataValue.md(
                _markdown_table(version_rows, ["model_version", "rows_with_outcome", "roc_auc", "test_roc_auc", "balanced_accuracy", "test_balanced_accuracy", "expected_calibration_error"])
            ),
            "champion_calibration": MetadataValue.md(
                _markdown_table([{k: (round(v, DIGITS) if isinstance(v, float) else v) for k, v in b.items()} for b in calibration], ["bin", "rows", "mean_probability", "observed_rate"])
            ),
            "summary": MetadataValue.json(summary),
        },
        check_results=[check],
    )
