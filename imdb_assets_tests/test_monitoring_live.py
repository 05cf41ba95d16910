"""Live performance through HTTP and the CLI: answers served with a tconst get an outcome once a snapshot
loaded after them rates the title, and only then; titles nobody rated never count."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

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


@pytest.mark.prod_tools  # bqemulator from its own venv
def test_outcomes_come_from_bigquery_ratings_loaded_after_the_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import time

    from dagster import DagsterInstance, materialize
    from dagster_gcp import BigQueryResource

    from imdb_assets.ingest.assets import raw_imdb_tables
    from imdb_assets.ingest.source import ImdbSource
    from imdb_assets.monitoring.outcomes import outcomes, ratings_of, snapshot_loads
    from imdb_assets.monitoring.served_log import read_served_log
    from imdb_assets.partitions import register_snapshot_dates
    from imdb_assets.resources.bigquery_warehouse import BigQueryWarehouse
    from imdb_assets.serving.prediction_log import LoggedItem, LoggedRequest, PredictionLog
    from imdb_assets.serving.prediction_log_store import LocalPredictionLogStore
    from imdb_assets_tests.imdb_files import first_snapshot, second_snapshot
    from imdb_assets_tests.prod_fixtures import bigquery_emulator, point_clients_at_emulators

    with bigquery_emulator(tmp_path / "bqemu") as emulator:
        point_clients_at_emulators(monkeypatch, bigquery_url=emulator.url)
        warehouse = BigQueryWarehouse(bigquery=BigQueryResource(project="monitoring-live", location="US"), dbt_dataset="imdb")
        instance = DagsterInstance.ephemeral()

        def load(folder: Path, day: str) -> None:
            register_snapshot_dates(instance, [day])
            resources = {"imdb_source": ImdbSource(location=str(folder)), "warehouse": warehouse}
            assert materialize([raw_imdb_tables], partition_key=day, resources=resources, instance=instance).success

        load(first_snapshot(tmp_path / "d1"), "2026-11-01")  # before the answers: says nothing about them
        store = LocalPredictionLogStore(tmp_path / "predictions")
        log = PredictionLog(store)
        served = [("Heat", "tt0000001"), ("Unrated Yet", "tt0000004"), ("Nobody Rated", "tt0000099")]
        answers = [{"probability": 0.9, "label": 1, "unknown_genres": []}] * len(served)
        log.record(LoggedRequest(time.time(), "r1", "v1", 0.5, [LoggedItem(title, "Drama", tconst) for title, tconst in served], answers))
        log.close()
        frame = read_served_log(store).frame
        assert outcomes(frame, ratings_of(warehouse, frame["tconst"].tolist()), snapshot_loads(warehouse), 5.0).empty

        time.sleep(1.1)  # the load time is what orders it after the answers
        load(second_snapshot(tmp_path / "d2"), "2026-11-02")
        rated = outcomes(frame, ratings_of(warehouse, frame["tconst"].tolist()), snapshot_loads(warehouse), 5.0)
        assert dict(zip(rated["tconst"], rated["averageRating"])) == {"tt0000001": 7.5, "tt0000004": 8.0}
        assert rated["outcome"].tolist() == [1, 1]
