import shutil
from pathlib import Path

import pytest

from imdb_assets.env_vars import environment_variables
from imdb_assets.settings import BUNDLED_SAMPLE_DIR


@pytest.fixture
def imdb_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private IMDB_ASSETS_HOME (warehouse, data, lake, DVC remote, models, Dagster instance)."""
    home = tmp_path / "home"
    monkeypatch.setenv("IMDB_ASSETS_HOME", str(home))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("IMDB_ASSETS_SOURCE", raising=False)
    return home


@pytest.fixture(scope="session")
def built_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home where `imdb-assets run` has materialized the whole graph on the bundled sample once.

    Tests that only read from it share it; tests that change state copy it first (see `home_copy`).
    """
    from imdb_assets.cli import main

    home = tmp_path_factory.mktemp("built") / "home"
    with environment_variables({"IMDB_ASSETS_HOME": str(home), "DAGSTER_HOME": None}):
        assert main(["run", "--snapshot-date", "2026-11-01"]) == 0
    return home


@pytest.fixture
def home_copy(built_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    shutil.copytree(built_home, home, symlinks=True)
    monkeypatch.setenv("IMDB_ASSETS_HOME", str(home))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return home


@pytest.fixture
def sample_dir() -> Path:
    return BUNDLED_SAMPLE_DIR
