"""Helpers for the serving tests: a real `imdb-assets serve` process on a free loopback port, the CLI's
answer for comparison, and promoting a new champion into a home's model store."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pandas as pd

from imdb_assets.model.store import LoadedModel
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.processes import free_port, stop_process_group

SERVER_START_SECONDS = 90  # imports alone take several seconds when other test processes share the cores




def serve_command(port: int, *options: str) -> list[str]:
    """`imdb-assets serve` once the CLI registers it; until then the same command through its module."""
    from imdb_assets.cli import COMMAND_MODULES

    if any(module.__name__ == "imdb_assets.cli.serve" for module in COMMAND_MODULES):
        prefix = [sys.executable, "-c", "import sys; from imdb_assets.cli import main; sys.exit(main())", "serve"]
    else:
        prefix = [sys.executable, "-m", "imdb_assets.cli.serve"]
    return [*prefix, "--host", "127.0.0.1", "--port", str(port), *options]


@dataclass
class RunningServer:
    base_url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30, **kwargs)


def wait_until(condition: Callable[[], bool], seconds: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


@contextlib.contextmanager
def running_server(home: Path, log_dir: Path, *options: str, require_ready: bool = True) -> Iterator[RunningServer]:
    """`imdb-assets serve` on a free port against `home`; stopped (with its children) however the test ends.

    Waits until /health answers 200 (or, with require_ready=False, until it answers at all).
    """
    port = free_port()
    log_path = log_dir / f"server-{port}.log"
    env = {**os.environ, "IMDB_ASSETS_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    with log_path.open("w") as log:
        process = subprocess.Popen(serve_command(port, *options), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = RunningServer(f"http://127.0.0.1:{port}", process, log_path)
    try:

        def answers() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"server exited with {process.returncode}:\n{server.log()}")
            try:
                status = httpx.get(f"{server.base_url}/health", timeout=2).status_code
            except httpx.TransportError:
                return False
            return status == 200 or not require_ready

        wait_until(answers, SERVER_START_SECONDS, f"the server on port {port}", interval=0.2)
        yield server
    finally:
        stop_process_group(process)


def cli_predict(home: Path, title: str, genres: list[str]) -> dict:
    """`imdb-assets predict --json` in this process, against `home`."""
    from imdb_assets.cli import main

    saved = os.environ.get("IMDB_ASSETS_HOME")
    os.environ["IMDB_ASSETS_HOME"] = str(home)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            assert main(["predict", "--title", title, "--genres", ",".join(genres), "--allow-unknown-genres", "--json"]) == 0
    finally:
        if saved is None:
            os.environ.pop("IMDB_ASSETS_HOME", None)
        else:
            os.environ["IMDB_ASSETS_HOME"] = saved
    return json.loads(out.getvalue())


# Titles that exercise normalisation (accents, articles, roman numerals, punctuation only) and
# genres the model never saw (one misspelt), next to real rows.
EDGE_CASES = [
    {"title": "Amélie", "genres": ["Comedy", "Romance"]},
    {"title": "Matrix, The", "genres": ["Action", "Sci-Fi"]},
    {"title": "Rocky II", "genres": ["Drama", "Sport"]},
    {"title": "!!!", "genres": []},
    {"title": "Ωmega 3: Über-Sequel", "genres": ["Horror", "Space-Opera"]},
    {"title": "x", "genres": ["Drama", "Drama"]},
    {"title": "Die Hard 2", "genres": ["Action", "Thriler"]},  # a misspelling: answered with a suggestion
]


def movie_requests(home: Path, count: int) -> list[dict]:
    """`count` real movies from the home's dataset (spread over it) plus the edge cases above."""
    movies = pd.read_csv(LocalPaths(home).movies_csv, keep_default_na=False)
    picked = movies.iloc[:: max(1, len(movies) // count)].head(count)
    real = [{"title": str(t), "genres": [g for g in str(g).split(",") if g]} for t, g in zip(picked["primaryTitle"], picked["genres"])]
    return real + EDGE_CASES


def different_pipeline(model: LoadedModel):
    """A copy of a model's pipeline answering differently: the classifier's linear score halved and shifted
    (same shape, so every store format can save it; no training needed)."""
    pipeline = copy.deepcopy(model.pipeline)
    classifier = pipeline.steps[-1][1]
    classifier.coef_ = classifier.coef_ * 0.5
    classifier.intercept_ = classifier.intercept_ + 0.25
    return pipeline


def promote(home: Path, pipeline, record: dict) -> str:
    """Save a model into the home's store and make it the champion through the store's API; its version."""
    from imdb_assets.model.store import LocalModelStore

    store = LocalModelStore(LocalPaths(home).models_dir)
    version = store.save(pipeline, record)
    store.set_champion(version, reason="serving test promotion", actor="test")
    return version
