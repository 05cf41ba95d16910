"""The HTTP API over real loopback HTTP: `imdb-assets serve` in a subprocess against a built home."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from imdb_assets.model.store import LocalModelStore
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.serving_fixtures import cli_predict, movie_requests, running_server

MAX_BATCH = 40


@pytest.fixture(scope="module")
def server(built_home: Path, tmp_path_factory: pytest.TempPathFactory):
    with running_server(built_home, tmp_path_factory.mktemp("serve-logs"), "--max-batch", str(MAX_BATCH)) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    with server.client() as http:
        yield http


def champion_version(home: Path) -> str:
    version = LocalModelStore(LocalPaths(home).models_dir).champion_version()
    assert version, "the built home has no champion"
    return version


def test_health_and_model_describe_the_champion(client: httpx.Client, built_home: Path):
    version = champion_version(built_home)
    health = client.get("/health")
    assert health.status_code == 200
    body = health.json()
    prediction_log = body.pop("prediction_log")  # the prediction log's counters (test_serving_prediction_log.py)
    assert body == {"status": "ready", "model_version": version, "detail": ""}
    assert prediction_log["rows_dropped"] == prediction_log["write_errors"] == 0

    model = client.get("/model").json()
    record = json.loads((LocalPaths(built_home).models_dir / version / "model.json").read_text())
    assert model["version"] == version
    assert model["dataset_version"] == record["dataset_version"]
    assert model["trained_at"] == record["trained_at"]
    assert model["metrics"]["roc_auc"] == pytest.approx(record["metrics"]["roc_auc"])
    assert model["known_genres"] == record["known_genres"] and "Drama" in model["known_genres"]


def test_single_and_batch_predictions_equal_the_cli(client: httpx.Client, built_home: Path):
    movies = movie_requests(built_home, 24)
    batch = client.post("/predict", json=movies)
    assert batch.status_code == 200, batch.text
    batch_answers = batch.json()
    assert len(batch_answers) == len(movies)
    for movie, from_batch in zip(movies, batch_answers):
        single = client.post("/predict", json=movie)
        assert single.status_code == 200, single.text
        from_single = single.json()
        expected = cli_predict(built_home, movie["title"], movie["genres"])
        for answer in (from_single, from_batch):
            assert answer["label"] == expected["label"], movie
            assert round(answer["probability"], 6) == pytest.approx(expected["probability"], abs=1e-12), movie
            assert answer["model_version"] == expected["model_version"]
            assert answer["threshold"] == expected["threshold"]
            assert (answer["unknown_genres"], answer["suggestions"]) == (expected["unknown_genres"], expected["suggestions"])
        assert from_single == from_batch
    # The edge cases hold one genre the model never saw, reported back rather than failing.
    assert ["Space-Opera"] in [a["unknown_genres"] for a in batch_answers]
    # Both answers occur on the sample: a constant model would pass the equalities above.
    assert {a["label"] for a in batch_answers} == {0, 1}


def test_unknown_genres_are_answered_with_suggestions(client: httpx.Client):
    single = client.post("/predict", json={"title": "Heat", "genres": ["Crime", "Cmedy", "Space-Opera"]})
    assert single.status_code == 200, single.text
    answer = single.json()
    assert answer["unknown_genres"] == ["Cmedy", "Space-Opera"]
    assert answer["suggestions"] == {"Cmedy": ["Comedy"], "Space-Opera": []}
    # The unknown genres change nothing: the answer is the one for the known genre alone.
    known_only = client.post("/predict", json={"title": "Heat", "genres": ["Crime"]}).json()
    assert known_only["suggestions"] == {} and known_only["probability"] == answer["probability"]
    batch = client.post("/predict", json=[{"title": "Heat", "genres": ["Drame"]}, {"title": "Heat", "genres": ["Drama"]}]).json()
    assert [a["suggestions"] for a in batch] == [{"Drame": ["Drama"]}, {}]


def test_the_page_names_the_genre_an_unknown_one_may_mean(client: httpx.Client):
    page = client.post("/", data={"title": "Heat", "genres": ["Crime", "Cmedy"]})
    assert page.status_code == 200
    assert "Ignored genres the model never saw: Cmedy (did you mean Comedy?)" in page.text


BAD_REQUESTS = {
    "empty title": ({"title": "", "genres": ["Drama"]}, "title", "must not be empty"),
    "blank title": ({"title": "   ", "genres": ["Drama"]}, "title", "must not be blank"),
    "control-character title": ({"title": "\x1c\u2003"}, "title", "must not be blank"),
    "missing title": ({"genres": ["Drama"]}, "title", "Field required"),
    "title not a string": ({"title": 42}, "title", "valid string"),
    "genres not a list": ({"title": "Heat", "genres": "Crime,Drama"}, "genres", "valid list"),
    "genre not a string": ({"title": "Heat", "genres": ["Crime", 7]}, "genres[1]", "valid string"),
    "two genres in one item": ({"title": "Heat", "genres": ["Crime,Drama"]}, "genres[0]", "one genre per item"),
    "unknown field": ({"title": "Heat", "genre": ["Crime"]}, "genre", "Extra inputs"),
    "bad item in a batch": ([{"title": "Heat"}, {"title": "Heat"}, {"title": ""}], "[2].title", "must not be empty"),
    "oversize batch": ([{"title": "Heat"}] * (MAX_BATCH + 1), "body", f"{MAX_BATCH + 1} items, over the limit of {MAX_BATCH}"),
    "empty batch": ([], "body", "empty list"),
    "not an object": ("Heat", "body", "not a JSON string"),
}


@pytest.mark.parametrize("payload, field, message", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_bad_input_gets_422_naming_the_field(client: httpx.Client, payload, field: str, message: str):
    response = client.post("/predict", json=payload)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["field"] == field
    assert message in body["detail"] and field in body["detail"]
    assert "\n" not in body["detail"]


RAW_BAD_BODIES = {
    "non-UTF-8": (b'{"title": "Am\xe9lie"}', "body", "not valid UTF-8 (byte 0xe9 at offset 13)"),
    "lone surrogate escape": (b'{"title": "\\ud800"}', "title", "valid string"),
    "not JSON": (b'{"title": "Heat",', "body", "not valid JSON"),
    "empty body": (b"", "body", "is empty"),
    "deeply nested": (b"[" * 100_000, "body", "nested too deeply"),
}


@pytest.mark.parametrize("body, field, message", RAW_BAD_BODIES.values(), ids=RAW_BAD_BODIES.keys())
def test_unreadable_body_gets_422(client: httpx.Client, body: bytes, field: str, message: str):
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert message in response.json()["detail"]


def test_huge_body_gets_413_and_the_server_keeps_answering(client: httpx.Client):
    response = client.post("/predict", content=b" " * (5 * 1024 * 1024), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]
    assert client.get("/health").status_code == 200
    assert client.post("/predict", json={"title": "Heat", "genres": ["Crime"]}).status_code == 200


def test_docs_and_schema_are_served(client: httpx.Client):
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    schema = client.get("/openapi.json").json()
    assert {"/predict", "/health", "/model"} <= set(schema["paths"])
    body_schema = schema["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body_schema["anyOf"][1]["maxItems"] == MAX_BATCH
    answer_schema = schema["components"]["schemas"]["PredictionOut"]
    assert "suggestions" in answer_schema["required"] and answer_schema["properties"]["suggestions"]["type"] == "object"


def test_serving_app_imports_no_dagster(built_home: Path):
    code = (
        "import sys\n"
        "from imdb_assets.cli import serve\n"
        "from imdb_assets.serving.app import create_app\n"
        "from fastapi.testclient import TestClient\n"
        f"with TestClient(create_app({str(LocalPaths(built_home).models_dir)!r})) as client:\n"
        "    assert client.post('/predict', json={'title': 'Heat'}).status_code == 200\n"
        "loaded = sorted(m for m in sys.modules if m == 'dagster' or m.startswith('dagster'))\n"
        "print(loaded)\n"
        "sys.exit(1 if loaded else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "[]"


def test_the_published_title_pattern_calls_blank_exactly_what_the_server_does():
    """JSON Schema's `\\S` and Python's disagree (U+001C, U+0085, ...): a fuzzer sending such a title got 422."""
    import re

    from imdb_assets.serving.schemas import NOT_BLANK

    white = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    assert not any(re.search(NOT_BLANK, c) for c in white)
    assert all(re.search(NOT_BLANK, c) for c in ("a", "\ufeff", "\x00", "é"))
