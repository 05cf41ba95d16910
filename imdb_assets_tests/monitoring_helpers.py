"""Helpers for the monitoring tests: serve requests into a home's prediction log over the app's HTTP
interface, and run `imdb-assets monitor --json` in this process."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient

from imdb_assets.serving.app import create_app
from imdb_assets.serving.prediction_log import PredictionLog
from imdb_assets.serving.prediction_log_store import LocalPredictionLogStore
from imdb_assets.settings import LocalPaths


def clear_log(home: Path) -> None:
    """Remove what other tests' servers logged into the shared built home this home was copied from."""
    shutil.rmtree(LocalPaths(home).prediction_log, ignore_errors=True)


def serve_into_log(home: Path, requests: list[dict], batch: int = 50) -> None:
    """POST `requests` to the home's champion in batches; the app's lifespan flushes the log when it stops."""
    paths = LocalPaths(home)
    log = PredictionLog(LocalPredictionLogStore(paths.prediction_log))
    with TestClient(create_app(paths.models_dir, prediction_log=log)) as client:
        for start in range(0, len(requests), batch):
            answer = client.post("/predict", json=requests[start : start + batch])
            assert answer.status_code == 200, answer.text
    assert log.counters()["rows_written"] == len(requests)


def monitor_json(home: Path) -> dict:
    """`imdb-assets monitor --json` in this process (IMDB_ASSETS_HOME must be `home`)."""
    from imdb_assets.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["monitor", "--json"]) == 0
    return json.loads(out.getvalue())


def training_rows(home: Path) -> pd.DataFrame:
    """The training split of the home's features (what the champion was trained on)."""
    features = pd.read_parquet(LocalPaths(home).features_dir / "movie_features.parquet")
    return features[features["split"] == "train"]


def requests_from(rows: pd.DataFrame) -> list[dict]:
    return [
        {"title": str(title), "genres": [g for g in str(genres).split(",") if g], "tconst": str(tconst)}
        for title, genres, tconst in zip(rows["title"], rows["genres"], rows["tconst"])
    ]
