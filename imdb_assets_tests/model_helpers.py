"""Helpers for the model tests: small real features, the CLI with the `model` command, one-asset runs."""

from __future__ import annotations

import copy
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


def materialize_features_and_model(instance, features_config: dict | None = None, model_config: dict | None = None):
    """Materialize `movie_features` and `enjoyment_model` on the dataset version the home last selected."""
    from imdb_assets.definitions import ALL_ASSETS, build_definitions

    configs = {"movie_features": features_config, "enjoyment_model": model_config}
    ops = {name: {"config": config} for name, config in configs.items() if config}
    return materialize(
        ALL_ASSETS,
        selection=[AssetKey("movie_features"), AssetKey("enjoyment_model")],
        instance=instance,
        resources=build_definitions().resources,
        run_config={"ops": ops} if ops else None,
    )


def asset_metadata(instance, key: str) -> dict:
    event = instance.get_latest_materialization_event(AssetKey(key))
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def model_metadata(instance) -> dict:
    return asset_metadata(instance, "enjoyment_model")


def asset_tag(instance, key: str, tag: str) -> str | None:
    """A tag of the asset's latest materialization, e.g. `dagster/data_version` or `dagster/code_version`."""
    event = instance.get_latest_materialization_event(AssetKey(key))
    return (event.asset_materialization.tags or {}).get(tag)


def altered_pipeline(pipeline):
    """A copy of a fitted pipeline with other weights: a different model of the same shape, without training."""
    altered = copy.deepcopy(pipeline)
    classifier = altered.named_steps["classifier"]
    classifier.coef_ = classifier.coef_ * 0.5
    classifier.intercept_ = classifier.intercept_ + 0.25
    return altered


def store_contents(root: Path) -> dict[str, bytes]:
    """Every file under a local model store's root, by relative path (to prove a save wrote nothing)."""
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def flip_byte(path: Path, offset: int = 100) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0xFF
    path.write_bytes(bytes(data))
