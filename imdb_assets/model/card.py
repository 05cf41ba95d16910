"""The model card: what the model is, how it was chosen, how good it is and what it cannot do (markdown)."""

from __future__ import annotations

from numbers import Integral, Real

from imdb_assets.model.evaluate import HIGHER_IS_BETTER, REPORTED_METRICS
from imdb_assets.model.slices import slices_table
from imdb_assets.model.training_data import describe as describe_training_data
from imdb_assets.model.training_data import warning as synthetic_warning

# Digits shown for every metric (tables here and the asset's metadata); the record keeps full floats.
DISPLAY_DIGITS = 4

_METRIC_LABELS = {
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC",
    "balanced_accuracy": "balanced accuracy",
    "f1": "F1 (enjoy)",
    "log_loss": "log loss",
    "brier": "Brier",
    "positive_rate": "predicted enjoy",
}


def display_float(value: float) -> float:
    """`value` to DISPLAY_DIGITS decimals; a value those would show as 0 (a regularisation of 6e-6, a
    difference of 1e-9) keeps DISPLAY_DIGITS significant digits instead, so it never reads as none."""
    rounded = round(float(value), DISPLAY_DIGITS)
    return rounded if rounded != 0 or value == 0 else float(f"{value:.{DISPLAY_DIGITS}g}")


def display_floats(value):
    """`value` with every float in it (nested in dicts, lists and tuples too) as `display_float` shows it."""
    if isinstance(value, dict):
        return {key: display_floats(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [display_floats(item) for item in value]
    # numpy floats too; integers (numpy's and bools included) are counts or flags, shown as they are.
    if isinstance(value, Real) and not isinstance(value, Integral):
        return display_float(value)
    return value


def _direction(metric: str) -> str:
    if metric not in HIGHER_IS_BETTER:
        return ""
    # Arrows, not words: the tables must fit the UI's metadata column without being cut off.
    return " ↑" if HIGHER_IS_BETTER[metric] else " ↓"


def _bucket_range(bounds: list[int]) -> str:
    return f"{bounds[0]}-{bounds[1] - 1}"


def code_line(code: dict) -> str:
    commit = (code.get("git_commit") or "no git")[:12]
    return f"package {code.get('package')}, commit {commit}, model source sha256 {str(code.get('model_source_sha256'))[:12]}"


def metrics_table(model: dict, baselines: dict[str, dict]) -> str:
    names = ["model", *baselines]
    rows = [f"| metric | {' | '.join(names)} |", "|---|" + "---|" * len(names)]
    for metric in REPORTED_METRICS:
        values = [model[metric], *(baselines[name][metric] for name in baselines)]
        rows.append(
            f"| {_METRIC_LABELS[metric]}{_direction(metric)} | " + " | ".join(f"{v:.{DISPLAY_DIGITS}f}" for v in values) + " |"
        )
    return "\n".join(rows)


def confusion_table(matrix: dict) -> str:
    return (
        "| rated | predicted no | predicted yes |\n|---|---|---|\n"
        f"| below threshold | {matrix['tn']} | {matrix['fp']} |\n| at or above | {matrix['fn']} | {matrix['tp']} |"
    )


def selection_table(selection: list[dict]) -> str:
    rows = ["| candidate | val. AUC | ± s.e. | fit s | chosen |", "|---|---|---|---|---|"]
    for s in selection:
        rows.append(
            f"| {s['candidate']} | {s['validation_roc_auc']:.{DISPLAY_DIGITS}f} | {s['standard_error']:.{DISPLAY_DIGITS}f} | {s['fit_seconds']:.2f} | {'**yes**' if s['chosen'] else ''} |"
        )
    return "\n".join(rows)


def _slices_section(slices: dict | None) -> list[str]:
    if not slices:
        return []
    lines = ["## Slices of the test split (ROC AUC with 95 % intervals; balanced accuracy at the threshold)", ""]
    for kind in ("genre", "decade"):
        if slices.get(kind):
            lines += [slices_table(slices[kind], kind), ""]
    return lines


def _p_value(p: float) -> str:
    return f"{p:.{DISPLAY_DIGITS}f}" if p >= 10**-DISPLAY_DIGITS else f"< {10**-DISPLAY_DIGITS:.{DISPLAY_DIGITS}f}"


def _tests_section(tests: dict | None) -> list[str]:
    if not tests:
        return []
    confidence = next(iter(tests.values()))["confidence"]
    return [
        f"## Better than the baselines? (DeLong paired ROC AUC test on the test rows, {confidence:.0%} confidence)",
        paired_tests_table(tests),
        "",
    ]


def paired_tests_table(tests: dict[str, dict]) -> str:
    """The paired ROC AUC tests of the model against each reference (paired_test.py), one row each."""
    rows = [
        "| against | model AUC | its AUC | difference | interval | one-sided lower bound | p | significantly better |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, t in tests.items():
        rows.append(
            f"| {name} | {t['challenger']:.4f} | {t['reference']:.4f} | {t['difference']:+.4f} | "
            f"[{t['low']:+.4f}, {t['high']:+.4f}] | {t['one_sided_low']:+.4f} | {_p_value(t['p_value'])} | "
            f"{'yes' if t['one_sided_low'] > 0 else '**no**'} |"
        )
    return "\n".join(rows)


def model_card(record: dict, promotion_reason: str | None = None) -> str:
    """Markdown for a record written by the enjoyment_model asset (see model/assets.py)."""
    metrics, baselines, params = record["metrics"], record["baselines"], record["params"]
    rows = record["split"]["rows"]
    genres_auc = baselines["genres_only"]["roc_auc"]
    lines = [
        f"# Enjoyment model {record['version']}",
        "",
        (
            f"**Question answered**: given a movie's title and genres, will a viewer enjoy it, i.e. is its IMDb average "
            f"rating at least {record['rating_threshold']:g}? Answers 'will enjoy' when the calibrated probability is at "
            f"least **{record['threshold']:.{DISPLAY_DIGITS}f}**."
        ),
        "",
        f"**Promotion**: {promotion_reason or 'decided after saving; see the audit log (`imdb-assets model show`)'}",
        "",
        "## Data",
        f"- **{describe_training_data(record)[0].upper()}{describe_training_data(record)[1:]}**",
        *([f"- **Warning**: {warning}"] if (warning := synthetic_warning(record)) else []),
        f"- Dataset version (DVC md5): `{record['dataset_version']}`",
        (
            f"- Movies: {rows['fit']['rows']} fitting, {rows['validation']['rows']} validation, {rows['test']['rows']} test "
            f"(share rated >= threshold: {rows['fit']['positive_share']:.{DISPLAY_DIGITS}f} / {rows['validation']['positive_share']:.{DISPLAY_DIGITS}f} / "
            f"{rows['test']['positive_share']:.{DISPLAY_DIGITS}f})"
        ),
        (
            f"- Splits by {record['split']['method']}: test = buckets {_bucket_range(record['split']['test_buckets'])}, validation = "
            f"buckets {_bucket_range(record['split']['validation_buckets'])} (a title never changes split between snapshots)"
        ),
        "",
        "## Model",
        (
            f"- Chosen: **{params['candidate']}** on TF-IDF title words (1-2 grams) and characters (2-4 grams), multi-hot "
            f"genres and genre pairs ({params['feature_columns']} columns); class imbalance: {params['class_imbalance']}"
        ),
        f"- Calibration: {params['calibration']['method']} fitted on validation",
        (
            "- Threshold: maximises balanced accuracy on validation (a majority-class answer scores 0.5 on it, "
            "however skewed the ratings are; accuracy and F1 of 'enjoy' reward answering 'enjoy' for everything)"
        ),
        f"- Selection on validation ROC AUC, one-standard-error rule: {record['selection_rule']}",
        "",
        selection_table(record["selection"]),
        "",
        f"## Held-out test split ({metrics['rows']} movies), beside the baselines",
        metrics_table(metrics, baselines),
        "",
        confusion_table(metrics["confusion_matrix"]),
        "",
        *_tests_section(record.get("baseline_tests")),
        *_slices_section(record.get("slices")),
        "## Limitations",
        (
            f"- A title and its genres carry limited signal: ROC AUC {metrics['roc_auc']:.{DISPLAY_DIGITS}f}, of which genres alone give "
            f"{genres_auc:.{DISPLAY_DIGITS}f}; the title adds {metrics['roc_auc'] - genres_auc:+.{DISPLAY_DIGITS}f}. Expect many wrong answers for single movies."
        ),
        (
            "- The majority baseline has the highest F1 of 'enjoy' and accuracy by answering 'enjoy' for everything: "
            "read balanced accuracy and ROC AUC instead."
        ),
        "- The label is IMDb's average rating, not one person's taste; ratings from a handful of votes are noisy.",
        "- Numbers measured on synthetic data say nothing about real films; `make bench-model` measures this recipe on real ones.",
        "",
        "## Provenance",
        f"- Trained at {record['trained_at']}, seed {params['seed']}, {code_line(record['code_version'])}",
    ]
    return "\n".join(lines)
