"""The prediction log: every answered prediction of `serve` (HTTP) and `predict` (CLI) is recorded, none is
lost on a clean stop, a `kill -9` loses at most the batch not yet written and never leaves a torn file, and
logging never blocks or fails a request (a full queue drops and counts)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from imdb_assets.contracts.raw_imdb import TCONST_PATTERN
from imdb_assets.model.store import LocalModelStore
from imdb_assets.monitoring.served_log import read_served_log
from imdb_assets.serving.app import create_app
from imdb_assets.serving.prediction_log import LoggedItem, LoggedRequest, PredictionLog
from imdb_assets.serving.prediction_log_store import BATCH_NAME, GCSPredictionLogStore, LocalPredictionLogStore
from imdb_assets.serving.schemas import TCONST_PATTERN as SERVED_TCONST_PATTERN
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.monitoring_helpers import clear_log
from imdb_assets_tests.serving_fixtures import running_server, wait_until


def tconst(i: int) -> str:
    return f"tt{9_000_000 + i:07d}"


def items(count: int, start: int = 0) -> list[dict]:
    genres = [["Drama"], ["Comedy", "Romance"], ["Horror"], ["Action", "Sci-Fi"], ["Drama", "Space-Opera"]]
    return [{"title": f"Movie {start + i}", "genres": genres[i % len(genres)], "tconst": tconst(start + i)} for i in range(count)]


def test_the_served_tconst_pattern_is_the_raw_contracts():
    assert SERVED_TCONST_PATTERN == TCONST_PATTERN


def test_a_clean_stop_of_the_app_writes_every_answer_with_its_tconst(built_home: Path, tmp_path: Path):
    log_dir = tmp_path / "predictions"
    log = PredictionLog(LocalPredictionLogStore(log_dir), flush_seconds=60)  # nothing written before the stop
    sent = items(25)
    request_ids = []
    with TestClient(create_app(LocalPaths(built_home).models_dir, prediction_log=log)) as client:
        one = client.post("/predict", json=sent[0])
        batch = client.post("/predict", json=sent[1:])
        assert one.status_code == batch.status_code == 200
        request_ids = [one.headers["x-request-id"], batch.headers["x-request-id"]]
        unknown_genres = {row["tconst"]: answer["unknown_genres"] for row, answer in zip(sent, [one.json(), *batch.json()])}
        health = client.get("/health").json()["prediction_log"]
        assert health["rows_queued"] == 25 and health["rows_written"] == 0 and health["rows_dropped"] == 0
    served = read_served_log(LocalPredictionLogStore(log_dir)).frame
    assert sorted(served["tconst"]) == sorted(row["tconst"] for row in sent)
    assert set(served["request_id"]) == set(request_ids)
    version = LocalModelStore(LocalPaths(built_home).models_dir).champion_version()
    assert set(served["model_version"]) == {version}
    by_tconst = served.set_index("tconst")
    # Known and unknown genres are kept apart: Space-Opera is not an IMDb genre.
    assert by_tconst.loc[tconst(4), "genres"] == ["Drama"] and by_tconst.loc[tconst(4), "unknown_genres"] == ["Space-Opera"]
    assert all(by_tconst.loc[t, "unknown_genres"] == u for t, u in unknown_genres.items())
    assert ((served["probability"] >= served["threshold"]).astype(int) == served["label"]).all()
    assert log.counters()["rows_written"] == 25 and log.counters()["files_written"] == 1


def test_a_wrong_tconst_is_refused_naming_the_field(built_home: Path, tmp_path: Path):
    log = PredictionLog(LocalPredictionLogStore(tmp_path / "predictions"))
    with TestClient(create_app(LocalPaths(built_home).models_dir, prediction_log=log)) as client:
        answer = client.post("/predict", json=[{"title": "Heat", "genres": ["Crime"], "tconst": "nm0000001"}])
        assert answer.status_code == 422 and answer.json()["field"] == "[0].tconst"
        assert client.post("/predict", json={"title": "Heat", "genres": ["Crime"]}).status_code == 200  # tconst is optional
    assert len(read_served_log(LocalPredictionLogStore(tmp_path / "predictions")).frame) == 1


def test_answers_on_the_page_are_logged_too(built_home: Path, tmp_path: Path):
    store = LocalPredictionLogStore(tmp_path / "predictions")
    with TestClient(create_app(LocalPaths(built_home).models_dir, prediction_log=PredictionLog(store))) as client:
        form = "title=Heat&genres=Crime&genres=Spaceship"
        assert client.post("/", content=form, headers={"content-type": "application/x-www-form-urlencoded"}).status_code == 200
    served = read_served_log(store).frame
    assert served[["title", "tconst"]].values.tolist() == [["Heat", None]]
    assert served["genres"].tolist() == [["Crime"]] and served["unknown_genres"].tolist() == [["Spaceship"]]


def test_a_full_queue_drops_and_counts_never_fails_the_request(built_home: Path, tmp_path: Path):
    # The writer never runs (no lifespan start before the requests fill it): 10 rows fit, the rest are dropped.
    log = PredictionLog(LocalPredictionLogStore(tmp_path / "predictions"), max_queued_rows=10, flush_seconds=3600)
    with TestClient(create_app(LocalPaths(built_home).models_dir, prediction_log=log)) as client:
        answers = [client.post("/predict", json=items(4, start=4 * i)) for i in range(5)]
        assert [a.status_code for a in answers] == [200] * 5
        counters = client.get("/health").json()["prediction_log"]
    assert counters["rows_queued"] == 8 and counters["rows_dropped"] == 12
    assert len(read_served_log(LocalPredictionLogStore(tmp_path / "predictions")).frame) == 8


def test_a_store_that_cannot_be_written_counts_errors_and_the_server_keeps_answering(built_home: Path, tmp_path: Path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the log folder should be")
    log = PredictionLog(LocalPredictionLogStore(blocked), flush_seconds=0.05)
    with TestClient(create_app(LocalPaths(built_home).models_dir, prediction_log=log)) as client:
        assert client.post("/predict", json=items(3)).status_code == 200
        wait_until(lambda: client.get("/health").json()["prediction_log"]["write_errors"] >= 1, 10, "the failed write")
        assert client.post("/predict", json=items(1)).status_code == 200
    counters = log.counters()
    assert counters["rows_written"] == 0 and counters["rows_lost_to_errors"] == 4
    assert counters["write_errors"] >= 1 and counters["last_error"]


def test_batches_are_rotated_by_day(tmp_path: Path):
    store = LocalPredictionLogStore(tmp_path / "predictions")
    log = PredictionLog(store)
    day_one, day_two = 1_764_633_600.0, 1_764_633_600.0 + 86_400  # 2025-12-02 and 2025-12-03, 00:00 UTC
    for moment in (day_one + 10, day_two + 10, day_one + 20):
        log.record(LoggedRequest(moment, "r", "v1", 0.5, [LoggedItem("Heat", "Crime,Drama", "tt0113277")], [{"probability": 0.7, "label": 1, "unknown_genres": []}]))
    log.close()
    assert [name.split("/")[0] for name in store.names()] == ["day=2025-12-02", "day=2025-12-03"]
    assert all(BATCH_NAME.match(name) for name in store.names())
    assert read_served_log(store).frame["logged_at"].dt.strftime("%Y-%m-%d").tolist() == ["2025-12-02", "2025-12-02", "2025-12-03"]


# -- a real `imdb-assets serve` ------------------------------------------------------------------------
def test_every_prediction_served_is_in_the_log_after_the_server_stops(home_copy: Path, tmp_path: Path):
    clear_log(home_copy)
    sent = items(120)
    with running_server(home_copy, tmp_path, "--log-flush-seconds", "3600") as server, server.client() as client:
        for start in range(0, 100, 20):
            assert client.post("/predict", json=sent[start : start + 20]).status_code == 200
        for row in sent[100:]:
            assert client.post("/predict", json=row).status_code == 200
        assert client.get("/health").json()["prediction_log"]["rows_written"] == 0  # all still queued
    # running_server stops it with SIGTERM: uvicorn's shutdown runs the lifespan, which flushes the log.
    served = read_served_log(LocalPredictionLogStore(LocalPaths(home_copy).prediction_log)).frame
    assert sorted(served["tconst"]) == sorted(row["tconst"] for row in sent)


def test_a_killed_server_leaves_a_readable_log_missing_at_most_the_unwritten_batch(home_copy: Path, tmp_path: Path):
    clear_log(home_copy)
    log_dir = LocalPaths(home_copy).prediction_log
    sent = 0
    with running_server(home_copy, tmp_path, "--log-flush-seconds", "0.2") as server, server.client() as client:
        for round_ in range(30):
            assert client.post("/predict", json=items(20, start=sent)).status_code == 200
            sent += 20
        wait_until(lambda: client.get("/health").json()["prediction_log"]["rows_written"] == sent, 30, "the first batches")
        written_before_kill = sent
        for round_ in range(10):  # these may still be queued when the server dies
            client.post("/predict", json=items(20, start=sent))
            sent += 20
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
    store = LocalPredictionLogStore(log_dir)
    for name in store.names():  # every finished file is whole Parquet
        pq.read_table(log_dir / name)
    served = read_served_log(store)
    assert not served.unreadable
    assert written_before_kill <= len(served.frame) <= sent
    assert served.frame["tconst"].is_unique and set(served.frame["tconst"]) <= {tconst(i) for i in range(sent)}
    assert len(served.frame) - written_before_kill <= 200  # at most what was sent after the last confirmed batch


# -- `imdb-assets predict` -----------------------------------------------------------------------------
def _predict(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "IMDB_ASSETS_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    return subprocess.run(
        [sys.executable, "-c", "import sys; from imdb_assets.cli import main; sys.exit(main())", "predict", *args],
        env=env, capture_output=True, text=True, timeout=120,
    )


def test_predict_logs_its_answer_with_the_tconst_before_it_exits(home_copy: Path):
    clear_log(home_copy)
    done = _predict(home_copy, "--title", "Heat", "--genres", "Crime,Drama", "--tconst", "tt0113277", "--json")
    assert done.returncode == 0, done.stderr
    served = read_served_log(LocalPredictionLogStore(LocalPaths(home_copy).prediction_log)).frame
    assert served[["title", "tconst"]].values.tolist() == [["Heat", "tt0113277"]]
    assert served["genres"].tolist() == [["Crime", "Drama"]]
    refused = _predict(home_copy, "--title", "Heat", "--tconst", "0113277")
    assert refused.returncode == 2 and "is not an IMDb id" in refused.stderr
    unlogged = _predict(home_copy, "--title", "Heat", "--no-prediction-log")
    assert unlogged.returncode == 0
    assert len(read_served_log(LocalPredictionLogStore(LocalPaths(home_copy).prediction_log)).frame) == 1


# -- prod: the same log on GCS objects ----------------------------------------------------------------
def test_the_log_on_gcs_objects_is_written_and_read_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from google.cloud import storage

    from imdb_assets_tests.prod_fixtures import EMULATOR_PROJECT, fake_gcs_server, point_clients_at_emulators

    with fake_gcs_server(tmp_path, buckets=("imdb-lake",)) as url:
        point_clients_at_emulators(monkeypatch, gcs_url=url)
        store = GCSPredictionLogStore("gs://imdb-lake/lake/predictions", client=storage.Client(project=EMULATOR_PROJECT))
        log = PredictionLog(store, flush_seconds=0.05)
        log.start()
        for i in range(3):
            log.record(LoggedRequest(1_764_633_600.0 + i, f"r{i}", "v1", 0.5, [LoggedItem(f"Movie {i}", "Drama", tconst(i))], [{"probability": 0.6, "label": 1, "unknown_genres": []}]))
        log.close()
        assert log.counters()["rows_written"] == 3 and log.counters()["write_errors"] == 0
        served = read_served_log(store).frame
        assert served["tconst"].tolist() == [tconst(0), tconst(1), tconst(2)]
        assert all(name.startswith("day=2025-12-02/") for name in store.names())
