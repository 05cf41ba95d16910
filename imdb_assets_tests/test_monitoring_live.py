"""Live performance through HTTP and the CLI: answers served with a tconst get an outcome once a snapshot
loaded after them rates the title, and only then; titles nobody rated never count."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd

from imdb_assets.cli import main
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.imdb_files import changed_sample
from imdb_assets_tests.monitoring_helpers import clear_log, monitor_json, requests_from, serve_into_log


def _ratings(folder: Path) -> dict[str, float]:
    with gzip.open(folder / "title.ratings.tsv.gz", "rt", encoding="utf-8") as handle:
        _, *rows = handle.read().splitlines()
    return {row.split("\t")[0]: float(row.split("\t")[1]) for row in rows}


def test_a_later_snapshot_gives_an_outcome_to_every_served_title_it_rates(home_copy: Path, tmp_path: Path):
    clear_log(home_copy)
    movies = pd.read_csv(LocalPaths(home_copy).movies_csv, keep_default_na=False)
    served_movies = movies.sample(n=400, random_state=3).rename(columns={"primaryTitle": "title"})
    never_rated = [{"title": f"Unreleased {i}", "genres": ["Drama"], "tconst": f"tt{7_000_000 + i:07d}"} for i in range(15)]
    no_tconst = [{"title": "Heat", "genres": ["Crime", "Drama"]}]
    serve_into_log(home_copy, requests_from(served_movies) + never_rated + no_tconst)

    # The snapshot in the warehouse was loaded before these answers: none has an outcome yet.
    before = monitor_json(home_copy)
    assert before["predictions"] == 416
    assert before["live_performance"]["rows_with_outcome"] == 0 and before["live_performance"]["roc_auc"] is None

    # The next day's snapshot rates the served movies (every 10th rating moved across the threshold).
    later = changed_sample(tmp_path / "2026-11-02")
    assert main(["ingest", "--source", str(later), "--snapshot-date", "2026-11-02"]) == 0
    rated = _ratings(later)
    expected = sum(t in rated for t in served_movies["tconst"]) + sum(r["tconst"] in rated for r in never_rated)
    assert expected == 400
    after = monitor_json(home_copy)
    live = after["live_performance"]
    assert live["rows_with_outcome"] == expected
    assert live["roc_auc"] is not None and 0.0 <= live["roc_auc"] <= 1.0
    assert live["balanced_accuracy"] is not None and live["test_roc_auc"] is not None
