"""The server follows the champion: ready only once there is one, swaps in a promoted one without a
restart (no request fails or mixes models meanwhile), and keeps serving when a promotion is broken."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from imdb_assets.model.store import LocalModelStore
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.serving_fixtures import (
    cli_predict,
    different_pipeline,
    movie_requests,
    promote,
    running_server,
    wait_until,
)

POLL = ("--poll-seconds", "0.2")
HEAT = {"title": "Heat", "genres": ["Crime", "Drama"]}


def served_version(client: httpx.Client) -> str | None:
    response = client.get("/health")
    return response.json()["model_version"] if response.status_code == 200 else None


def test_no_champion_gets_503_until_one_is_promoted(imdb_home: Path, built_home: Path, tmp_path: Path):
    imdb_home.mkdir(parents=True)
    store = LocalModelStore(LocalPaths(imdb_home).models_dir)
    with running_server(imdb_home, tmp_path, *POLL, require_ready=False) as server, server.client() as client:
        health = client.get("/health")
        assert health.status_code == 503
        assert health.json()["status"] == "not ready" and "no champion in" in health.json()["detail"]
        for response in (client.post("/predict", json=HEAT), client.get("/model")):
            assert response.status_code == 503
            assert "no model to answer with" in response.json()["detail"]
            assert response.headers["retry-after"] == "1"
        page = client.get("/")
        assert page.status_code == 503 and "Not ready" in page.text

        # A trained model that is not the champion is not served.
        champion = LocalModelStore(LocalPaths(built_home).models_dir).load()
        trained = store.save(champion.pipeline, champion.record)
        wait_until(lambda: trained in client.get("/health").json()["detail"], 30, "the unpromoted model to be named")
        assert "was trained but not promoted" in client.get("/health").json()["detail"]
        assert client.post("/predict", json=HEAT).status_code == 503

        store.set_champion(trained, reason="serving test promotion", actor="test")
        wait_until(lambda: served_version(client) == trained, 30, f"the server to load {trained}")
        answer = client.post("/predict", json=HEAT)
        assert answer.status_code == 200 and answer.json()["model_version"] == trained


def test_promoted_champion_is_swapped_in_without_a_restart(home_copy: Path, tmp_path: Path):
    movies = movie_requests(home_copy, 12)
    with running_server(home_copy, tmp_path, *POLL) as server, server.client() as client:
        before = served_version(client)
        answers_before = client.post("/predict", json=movies).json()

        # Requests keep flowing while the new champion is promoted and loaded.
        seen: list[tuple[int, str | None]] = []
        stop = threading.Event()

        big_batch = (movies * 60)[:1000]  # long enough (tens of ms) for swaps to land mid-request

        def keep_asking() -> None:
            with server.client() as own_client:
                while not stop.is_set():
                    response = own_client.post("/predict", json=big_batch)
                    versions = {a["model_version"] for a in response.json()} if response.status_code == 200 else set()
                    # A request is answered by one model from start to end, never a mix.
                    seen.append((response.status_code, versions.pop() if len(versions) == 1 else f"mixed: {versions}"))

        asker = threading.Thread(target=keep_asking)
        asker.start()
        try:
            champion = LocalModelStore(LocalPaths(home_copy).models_dir).load()
            after = promote(home_copy, different_pipeline(champion), champion.record)
            assert after != before
            wait_until(lambda: served_version(client) == after, 30, f"the server to swap in {after}")
            wait_until(lambda: any(version == after for _, version in seen), 10, "a request answered by the new champion")
        finally:
            stop.set()
            asker.join(timeout=60)
        assert server.process.poll() is None, "the server restarted"

        assert seen and {status for status, _ in seen} == {200}
        versions = [version for _, version in seen]
        assert set(versions) <= {before, after}
        # Once a request saw the new champion, none saw the old one again.
        first_new = versions.index(after)
        assert set(versions[first_new:]) == {after}

        answers_after = client.post("/predict", json=movies).json()
        assert client.get("/model").json()["version"] == after
        for movie, answer in zip(movies, answers_after):
            expected = cli_predict(home_copy, movie["title"], movie["genres"])
            assert expected["model_version"] == answer["model_version"] == after
            assert round(answer["probability"], 6) == pytest.approx(expected["probability"], abs=1e-12)
        assert [a["probability"] for a in answers_after] != [a["probability"] for a in answers_before]


def test_damaged_champion_keeps_the_old_one_serving(home_copy: Path, tmp_path: Path):
    store = LocalModelStore(LocalPaths(home_copy).models_dir)
    with running_server(home_copy, tmp_path, *POLL) as server, server.client() as client:
        before = served_version(client)
        champion = store.load()
        damaged = store.save(different_pipeline(champion), champion.record)
        artifact = store.file_location(damaged, store.record(damaged)["artifact"])
        Path(artifact).write_bytes(Path(artifact).read_bytes()[:-100])
        # `set_champion` refuses a model it cannot load, so the pointer is moved by hand, as storage
        # damage or a hand edit would leave it.
        (LocalPaths(home_copy).models_dir / "champion").write_text(damaged)

        def failure_reported() -> bool:
            return damaged in client.get("/health").json()["detail"]

        wait_until(failure_reported, 30, "the failed reload to be reported")
        health = client.get("/health")
        assert health.status_code == 200 and health.json()["model_version"] == before
        assert "could not be loaded" in health.json()["detail"] and "sha256" in health.json()["detail"]
        assert client.post("/predict", json=HEAT).json()["model_version"] == before

        # Pointing the champion back (a rollback) clears the warning.
        store.set_champion(before, reason="rollback in a test", actor="test")
        wait_until(lambda: client.get("/health").json()["detail"] == "", 30, "the warning to clear")
