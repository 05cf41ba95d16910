"""Per-genre and per-decade slices of the test split: counts always, numbers only where they mean something."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from imdb_assets.model.slices import MIN_CLASS_ROWS, slice_metrics, slices_table


def _test_rows() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    n = 600
    genres = np.where(np.arange(n) < 500, "Drama", "Comedy,Drama")
    genres[:5] = "Western"  # 5 movies: too few to say anything
    years = np.where(np.arange(n) % 2 == 0, 1994, 2011).astype(object)
    years[-20:] = None
    labels = (rng.random(n) < 0.7).astype(int)
    probability = np.clip(0.5 + 0.2 * (labels - 0.5) + rng.normal(0, 0.2, n), 0.01, 0.99)
    test = pd.DataFrame({"genres": genres, "startYear": pd.array(years, dtype="Int64"), "label": labels})
    return test, probability


def test_each_genre_and_decade_has_its_rows_auc_interval_and_balanced_accuracy():
    test, probability = _test_rows()
    slices = slice_metrics(test, probability, threshold=0.5)
    drama = next(s for s in slices["genre"] if s["slice"] == "Drama")
    mask = test["genres"].str.contains("Drama").to_numpy()
    assert drama["rows"] == mask.sum() and drama["positives"] == test["label"][mask].sum()
    assert drama["roc_auc"] == pytest.approx(roc_auc_score(test["label"][mask], probability[mask]), abs=1e-12)
    low, high = drama["roc_auc_ci95"]
    assert low < drama["roc_auc"] < high and high - low < 0.2
    assert [s["slice"] for s in slices["decade"]] == ["1990s", "2010s", "year unknown"]
    assert sum(s["rows"] for s in slices["decade"]) == len(test)


def test_a_slice_with_too_few_rows_says_so_instead_of_a_number():
    test, probability = _test_rows()
    slices = slice_metrics(test, probability, threshold=0.5)
    western = next(s for s in slices["genre"] if s["slice"] == "Western")
    assert western["too_few_rows"] and "roc_auc" not in western and western["rows"] == 5
    table = slices_table(slices["genre"], "genre")
    assert f"| Western | 5 | {western['positives']} / {western['negatives']} | too few rows (< {MIN_CLASS_ROWS} of a class) |" in table
    assert "| Drama | " in table and "too few rows" not in next(line for line in table.splitlines() if line.startswith("| Drama"))


def test_features_without_years_give_genre_slices_only():
    test, probability = _test_rows()
    assert slice_metrics(test.drop(columns="startYear"), probability, 0.5)["decade"] == []


def test_the_card_and_the_ui_show_the_slices_and_the_paired_tests(built_home):
    from imdb_assets.instance import local_instance
    from imdb_assets.settings import LocalPaths
    from imdb_assets_tests.model_helpers import model_metadata

    meta = model_metadata(local_instance(LocalPaths(built_home).dagster_home))
    assert meta["slices_by_genre"].startswith("| genre | movies | enjoy / not | ROC AUC | 95 % interval |")
    assert "| Drama | " in meta["slices_by_genre"] and "| 2010s | " in meta["slices_by_decade"]
    card = meta["model_card"]
    assert "## Slices of the test split" in card and "| Drama | " in card
    assert "## Better than the baselines? (DeLong paired ROC AUC test on the test rows, 95% confidence)" in card
    assert "| genres_only | " in card and "| majority | " in card
