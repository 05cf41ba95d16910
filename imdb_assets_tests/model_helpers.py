"""Helpers for the model tests: small real features, the CLI with the `model` command, one-asset runs."""

from __future__ import annotations

import csv
import json
from functools import lru_cache
from pathlib import Path

import pandas as pd
from dagster import AssetKey, materialize

from imdb_assets import cli
from imdb_assets.cli import model as model_cli
from imdb_assets.features.prepare import prepare_features
from imdb_assets.settings import BUNDLED_SAMPLE_DIR


@lru_cache(maxsize=1)
def _sample_features() -> pd.DataFrame:
    read = {"sep": "\t", "quoting": csv.QUOTE_NONE, "na_values": ["\\N"], "keep_default_na": False, "dtype": str}
    basics = pd.read_csv(BUNDLED_SAMPLE_DIR / "title.basics.tsv.gz", **read)
    ratings = pd.read_csv(BUNDLED_SAMPLE_DIR / "title.ratings.tsv.gz", **read)
    movies = basics[(basics["titleType"] == "movie") & basics["primaryTitle"].notna() & basics["genres"].notna()]
    movies = movies.merge(ratings, on="tconst")
    movies["averageRating"] = movies["averageRating"].astype(float)
    return prepare_features(movies)


def sample_features() -> pd.DataFrame:
    """The bundled sample's movies as model features, without Dagster (what `movie_features` holds)."""
    return _sample_features().copy()


def with_model_command(monkeypatch) -> None:
    """Make `imdb_assets.cli.main` know `model` (until the lead adds it to COMMAND_MODULES)."""
    if model_cli not in cli.COMMAND_MODULES:
        monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, model_cli))


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_cli_json(capsys, *args: str) -> dict:
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def materialize_model(instance, config: dict | None = None, raise_on_error: bool = True):
    """Materialize `enjoyment_model` alone (its inputs come from the home's earlier runs)."""
    from imdb_assets.definitions import ALL_ASSETS, build_definitions

    run_config = {"ops": {"enjoyment_model": {"config": config}}} if config else None
    return materialize(
        ALL_ASSETS,
        selection=[AssetKey("enjoyment_model")],
        instance=instance,
        resources=build_definitions().resources,
        run_config=run_config,
        raise_on_error=raise_on_error,
    )


def model_metadata(instance) -> dict:
    event = instance.get_latest_materialization_event(AssetKey("enjoyment_model"))
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def flip_byte(path: Path, offset: int = 100) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0xFF
    path.write_bytes(bytes(data))
