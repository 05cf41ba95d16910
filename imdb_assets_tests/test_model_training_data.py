"""The champion says what it was trained on: card, `model show`, the HTTP answers, /model and the page."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from imdb_assets.instance import local_instance
from imdb_assets.model.training_data import HOW_TO_TRAIN_ON_IMDB, training_data
from imdb_assets.settings import BUNDLED_SAMPLE_DIR, LocalPaths
from imdb_assets_tests.model_helpers import model_metadata, run_cli, with_model_command
from imdb_assets_tests.serving_fixtures import running_server


def test_the_bundled_sample_and_synthetic_folders_are_synthetic_and_imdb_files_are_not(tmp_path: Path):
    assert training_data(str(BUNDLED_SAMPLE_DIR / "title.basics.tsv.gz"), "2026-11-01")["kind"] == "synthetic"
    made = tmp_path / "made"
    made.mkdir()
    (made / "synth.json").write_text("{}")
    assert training_data(str(made / "title.basics.tsv.gz"), "2026-11-01")["synthetic"] is True
    assert training_data(str(tmp_path / "title.basics.tsv.gz"), "2026-11-01")["kind"] == "real"
    assert training_data("https://datasets.imdbws.com/title.basics.tsv.gz", "2026-11-01")["kind"] == "real"
    assert training_data(None, "2026-11-01")["kind"] == "unknown"


def test_the_card_the_ui_and_model_show_say_synthetic(built_home: Path, capsys, monkeypatch):
    meta = model_metadata(local_instance(LocalPaths(built_home).dagster_home))
    assert meta["trained_on"] == "trained on synthetic data: snapshot 2026-11-01 from the bundled synthetic sample"
    assert "- **Trained on synthetic data: snapshot 2026-11-01" in meta["model_card"]
    assert "its answers for real films are not meaningful" in meta["model_card"]
    with_model_command(monkeypatch)
    monkeypatch.setenv("IMDB_ASSETS_HOME", str(built_home))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    code, out, _ = run_cli(capsys, "model", "show")
    assert code == 0
    assert "  trained on synthetic data: snapshot 2026-11-01 from the bundled synthetic sample\n" in out
    assert "  warning: this model was trained on synthetic data" in out and HOW_TO_TRAIN_ON_IMDB in out


@pytest.fixture(scope="module")
def server(built_home: Path, tmp_path_factory: pytest.TempPathFactory):
    with running_server(built_home, tmp_path_factory.mktemp("server-logs")) as running:
        yield running


def test_http_answers_model_and_page_say_synthetic(server):
    answer = httpx.post(f"{server.base_url}/predict", json={"title": "Heat", "genres": ["Crime"]}, timeout=10).json()
    assert answer["training_data"] == "synthetic"
    batch = httpx.post(f"{server.base_url}/predict", json=[{"title": "Heat", "genres": ["Crime"]}] * 3, timeout=10).json()
    assert [a["training_data"] for a in batch] == ["synthetic"] * 3
    described = httpx.get(f"{server.base_url}/model", timeout=10).json()
    assert described["training_data"]["kind"] == "synthetic" and described["training_data"]["snapshot_date"] == "2026-11-01"
    assert described["trained_on"].startswith("this model was trained on synthetic data") and HOW_TO_TRAIN_ON_IMDB in described["trained_on"]
    page = httpx.get(f"{server.base_url}/", timeout=10).text
    assert 'id="synthetic"' in page and "its answers for real films are not meaningful" in page
    assert "imdb-assets run --source https://datasets.imdbws.com/" in page
