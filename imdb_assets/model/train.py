"""Train, select, calibrate and evaluate the enjoyment model (pure, no Dagster).

    train (by tconst hash) = fitting rows + validation rows      test (by tconst hash) = held out
    1. features fitted on the fitting rows only (one matrix for all rows, text_matrix.py)
    2. every candidate fitted on the fitting rows, scored on validation; one chosen (selection.py)
    3. the chosen model's scores Platt-calibrated on validation; threshold chosen there (calibration.py)
    4. the calibrated model and both baselines evaluated once on the test rows (evaluate.py, baselines.py)

The test rows are touched only in step 4, so the test metrics are an honest estimate. The final model is
the one fitted on the fitting rows (not refitted on train + validation): refitting would leave no
unseen rows to calibrate it and choose its threshold on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.pipeline import Pipeline

from imdb_assets.features.prepare import split_definition, validation_mask
from imdb_assets.model.baselines import BaselineResult, genres_only_baseline, majority_baseline
from imdb_assets.model.calibration import choose_threshold, fit_platt
from imdb_assets.model.candidates import FAMILY_ORDER, candidate_grid, linear_score
from imdb_assets.model.evaluate import classification_metrics
from imdb_assets.model.pipeline import (
    DEFAULT_FEATURES,
    FEATURE_COLUMNS,
    FeatureSettings,
    calibrated_linear_pipeline,
    fitted_genres,
    genre_columns,
)
from imdb_assets.model.selection import SELECTION_METRIC, select_candidate
from imdb_assets.model.slices import slice_metrics
from imdb_assets.model.text_matrix import fit_feature_matrix

MIN_ROWS_PER_CLASS = 5


@dataclass
class SplitFrames:
    """The fitting, validation and test rows: consecutive row ranges of `ordered`, in that order."""

    ordered: pd.DataFrame
    fit: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame

    def counts(self) -> dict:
        return {
            name: {"rows": len(frame), "positive_share": round(float(frame["label"].mean()), 4)}
            for name, frame in (("fit", self.fit), ("validation", self.validation), ("test", self.test))
        }


def split_frames(features: pd.DataFrame) -> SplitFrames:
    """Fitting, validation and test rows; a clear error when one of them cannot train or evaluate a model."""
    split = features["split"]
    train_positions = np.flatnonzero((split == "train").to_numpy(dtype=bool, na_value=False))
    test_positions = np.flatnonzero((split == "test").to_numpy(dtype=bool, na_value=False))
    is_validation = validation_mask(features["tconst"].iloc[train_positions])
    # One copy of the rows, in split order; each split is a slice of it (each keeps the rows' order and index).
    ordered = features.take(
        np.concatenate([train_positions[~is_validation], train_positions[is_validation], test_positions])
    )
    n_fit, n_train = int((~is_validation).sum()), len(train_positions)
    frames = SplitFrames(ordered, ordered.iloc[:n_fit], ordered.iloc[n_fit:n_train], ordered.iloc[n_train:])
    for name, frame in (("fitting", frames.fit), ("validation", frames.validation), ("test", frames.test)):
        positives = int(frame["label"].sum())
        negatives = len(frame) - positives
        if min(positives, negatives) < MIN_ROWS_PER_CLASS:
            raise ValueError(
                f"the {name} split has {negatives} 'will not enjoy' and {positives} 'will enjoy' movies: at least "
                f"{MIN_ROWS_PER_CLASS} of each are needed (the dataset holds {len(features)} movies)"
            )
    return frames


def _row_range(matrix: sparse.csr_matrix, start: int, stop: int) -> sparse.csr_matrix:
    """Rows start..stop-1 of a CSR matrix, sharing its data and indices (scipy's row slice copies them)."""
    first, last = matrix.indptr[start], matrix.indptr[stop]
    return sparse.csr_matrix(
        (matrix.data[first:last], matrix.indices[first:last], matrix.indptr[start : stop + 1] - first),
        shape=(stop - start, matrix.shape[1]),
    )


def _split_rows(matrix: sparse.csr_matrix, n_fit: int, n_validation: int) -> tuple[sparse.csr_matrix, ...]:
    """The fitting, validation and test rows of a matrix whose rows are in `SplitFrames.ordered` order."""
    n_train = n_fit + n_validation
    return (
        _row_range(matrix, 0, n_fit),
        _row_range(matrix, n_fit, n_train),
        _row_range(matrix, n_train, matrix.shape[0]),
    )


@dataclass
class TrainedModel:
    pipeline: Pipeline
    threshold: float
    metrics: dict  # on the test split
    validation_metrics: dict
    baselines: dict[str, BaselineResult]
    params: dict
    selection: list[dict]
    selection_rule: str
    known_genres: list[str]
    split: dict
    test_labels: np.ndarray
    test_probability: np.ndarray
    test: pd.DataFrame  # the test rows themselves (promotion re-scores the champion on them)
    timings: dict = field(default_factory=dict)
    slices: dict = field(default_factory=dict)  # test metrics per genre and per decade (slices.py)

    def baseline_summaries(self) -> dict[str, dict]:
        return {name: result.summary() for name, result in self.baselines.items()}


def train_and_evaluate(
    features: pd.DataFrame,
    seed: int = 0,
    families: tuple[str, ...] | list[str] = FAMILY_ORDER,
    feature_settings: FeatureSettings = DEFAULT_FEATURES,
) -> TrainedModel:
    """The calibrated, thresholded model chosen on validation, with its test metrics and both baselines."""
    timings: dict[str, float] = {}
    started = clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 2)
        clock = now

    frames = split_frames(features)
    # One matrix for all rows, fitted on the fitting rows only: each title is analyzed once (text_matrix.py).
    rows = frames.ordered[FEATURE_COLUMNS]
    n_fit, n_validation = len(frames.fit), len(frames.validation)
    featurizer, matrix = fit_feature_matrix(feature_settings, rows, np.arange(len(rows)) < n_fit)
    fit_matrix, validation_matrix, test_matrix = _split_rows(matrix, n_fit, n_validation)
    validation_labels = frames.validation["label"].to_numpy()
    lap("features")

    selection = select_candidate(
        candidate_grid(families, n_fit),
        fit_matrix,
        frames.fit["label"].to_numpy(),
        validation_matrix,
        validation_labels,
        seed,
    )
    lap("selection")

    coef, intercept = linear_score(selection.estimator)
    validation_score = validation_matrix @ coef + intercept
    platt = fit_platt(validation_score, validation_labels)
    pipeline = calibrated_linear_pipeline(featurizer, platt.slope * coef, platt.slope * intercept + platt.offset)
    validation_probability = platt.apply(validation_score)
    chosen = choose_threshold(validation_labels, validation_probability)
    lap("calibration")

    test_labels = frames.test["label"].to_numpy()
    # The classifier step on the test matrix is exactly `pipeline.predict_proba(test rows)`: the matrix is
    # the pipeline's own feature step applied to them, computed once above.
    test_probability = pipeline.named_steps["classifier"].predict_proba(test_matrix)[:, 1]
    metrics = classification_metrics(test_labels, test_probability, chosen.threshold)
    lap("evaluation")

    baselines = {
        "majority": majority_baseline(frames.fit, frames.test),
        "genres_only": genres_only_baseline(
            *_split_rows(genre_columns(featurizer, matrix), n_fit, n_validation),
            frames.fit["label"].to_numpy(),
            validation_labels,
            test_labels,
        ),
    }
    lap("baselines")
    timings["total"] = round(time.perf_counter() - started, 2)

    params = {
        "candidate": selection.chosen.name,
        "family": selection.chosen.family,
        "regularisation": selection.chosen.regularisation,
        "families_searched": list(families),
        "candidates_searched": len(selection.scores),
        "selection_metric": SELECTION_METRIC,
        "seed": seed,
        "features": feature_settings.as_dict(),
        "feature_columns": int(fit_matrix.shape[1]),
        "class_imbalance": "complement naive Bayes"
        if selection.chosen.family == "complement_nb"
        else "class_weight=balanced",
        "calibration": {
            "method": "platt (sigmoid)",
            "fitted_on": "validation",
            "slope": platt.slope,
            "offset": platt.offset,
        },
        "threshold_objective": chosen.objective,
        "validation_balanced_accuracy_at_threshold": round(chosen.validation_balanced_accuracy, 5),
    }
    return TrainedModel(
        pipeline=pipeline,
        threshold=chosen.threshold,
        metrics=metrics,
        validation_metrics=classification_metrics(validation_labels, validation_probability, chosen.threshold),
        baselines=baselines,
        params=params,
        selection=[score.as_dict() for score in selection.scores],
        selection_rule=selection.rule,
        known_genres=fitted_genres(featurizer),
        split={**split_definition(), "rows": frames.counts()},
        test_labels=test_labels,
        test_probability=test_probability,
        test=frames.test,
        timings=timings,
        slices=slice_metrics(frames.test, test_probability, chosen.threshold),
    )
