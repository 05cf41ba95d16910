"""Data versions that follow content: `movie_features` and `enjoyment_model` rematerialized on the same
dataset keep their data versions and store no second model (folder and GCS stores); what changes the
content (the rating threshold) changes them; the UI's metadata shows metrics to 4 digits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from imdb_assets.code_versions import FEATURES_SOURCES, MODEL_SOURCES, source_code_version
from imdb_assets.features.assets import features_data_version
from imdb_assets.instance import local_instance
from imdb_assets.model.card import DISPLAY_DIGITS
from imdb_assets.model.store import LocalModelStore, SavedModel
from imdb_assets.model.train import train_and_evaluate
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.model_helpers import (
    altered_pipeline,
    asset_metadata,
    asset_tag,
    materialize_features_and_model,
    model_metadata,
    sample_features,
    store_contents,
)
from imdb_assets_tests.prod_fixtures import EMULATOR_PROJECT, fake_gcs_server, point_clients_at_emulators

DATA_VERSION, CODE_VERSION = "dagster/data_version", "dagster/code_version"
ASSETS = ("movie_features", "enjoyment_model")
BUCKET = "imdb-models"


def _data_versions(instance) -> dict[str, str | None]:
    return {key: asset_tag(instance, key, DATA_VERSION) for key in ASSETS}


def _store(home: Path) -> LocalModelStore:
    return LocalModelStore(LocalPaths(home).models_dir)


def _floats(value):
    """Every float in a metadata value (JSON nested in dicts and lists too)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _floats(item)
    elif isinstance(value, list):
        for item in value:
            yield from _floats(item)
    elif isinstance(value, float):
        yield value


def _shown_to_4_digits(value: float) -> bool:
    """4 decimals, or, for a value 4 decimals would show as 0, 4 significant digits."""
    return round(value, DISPLAY_DIGITS) == value or (
        abs(value) < 10**-DISPLAY_DIGITS and float(f"{value:.{DISPLAY_DIGITS}g}") == value
    )


def _table_decimals(markdown: str) -> set[int]:
    """How many decimals the numbers in the markdown's table cells have."""
    cells = [cell.strip() for line in markdown.splitlines() if line.startswith("|") for cell in line.split("|")]
    return {len(cell.split(".")[1]) for cell in cells if re.fullmatch(r"-?\d+\.\d+", cell)}


def test_rematerializing_on_the_same_dataset_keeps_both_data_versions_and_one_model(home_copy: Path):
    instance = local_instance(LocalPaths(home_copy).dagster_home)
    store = _store(home_copy)
    [version] = store.versions()  # the home's one run trained it
    built = _data_versions(instance)
    dataset_md5 = asset_tag(instance, "movies_dataset", DATA_VERSION)
    assert built == {
        "movie_features": features_data_version(dataset_md5, 5.0, source_code_version(*FEATURES_SOURCES)),
        "enjoyment_model": version,  # the champion's version
    }
    models_before = {k: v for k, v in store_contents(store.root).items() if not k.startswith("audit/")}

    for _ in range(2):
        assert materialize_features_and_model(instance).success
        assert _data_versions(instance) == built
        meta = model_metadata(instance)
        assert meta["model_version"] == version and meta["reused_version"] is True
        assert meta["promoted"] is False and meta["champion_version"] == version
    assert store.versions() == [version]
    assert store.latest_trained_version() == version == store.champion_version()
    # Versions and pointers untouched (the audit log records each decision, nothing else was written).
    assert {k: v for k, v in store_contents(store.root).items() if not k.startswith("audit/")} == models_before
    assert asset_tag(instance, "movie_features", CODE_VERSION) == source_code_version(*FEATURES_SOURCES)
    assert asset_tag(instance, "enjoyment_model", CODE_VERSION) == source_code_version(*MODEL_SOURCES)


def test_another_rating_threshold_gives_new_features_and_a_new_model(home_copy: Path):
    instance = local_instance(LocalPaths(home_copy).dagster_home)
    store = _store(home_copy)
    [first] = store.versions()
    built = _data_versions(instance)

    assert materialize_features_and_model(instance, features_config={"rating_threshold": 6.5}).success
    dataset_md5 = asset_tag(instance, "movies_dataset", DATA_VERSION)
    features_version = asset_tag(instance, "movie_features", DATA_VERSION)
    assert features_version == features_data_version(dataset_md5, 6.5) != built["movie_features"]
    meta = model_metadata(instance)
    assert meta["reused_version"] is False and meta["model_version"] != first
    assert store.versions() == [first, meta["model_version"]]
    assert store.latest_trained_version() == meta["model_version"]
    assert store.record(meta["model_version"])["rating_threshold"] == 6.5


def test_metadata_shows_floats_to_4_digits_and_the_record_keeps_them_whole(built_home: Path):
    instance = local_instance(LocalPaths(built_home).dagster_home)
    for key in ASSETS:
        floats = list(_floats(asset_metadata(instance, key)))
        assert floats, key
        assert [v for v in floats if not _shown_to_4_digits(v)] == [], key
    meta = model_metadata(instance)
    record = _store(built_home).record(meta["model_version"])
    whole = [record["metrics"][name] for name in ("roc_auc", "log_loss", "brier")] + [record["threshold"]]
    assert [v for v in whole if round(v, DISPLAY_DIGITS) != v], "the record should hold unrounded floats"
    assert meta["roc_auc"] == round(record["metrics"]["roc_auc"], DISPLAY_DIGITS)
    assert meta["threshold"] == round(record["threshold"], DISPLAY_DIGITS)
    assert meta["baselines"]["genres_only"]["roc_auc"] == round(
        record["baselines"]["genres_only"]["roc_auc"], DISPLAY_DIGITS
    )
    splits = asset_metadata(instance, "movie_features")["splits"]
    for markdown in (meta["metrics_vs_baselines"], meta["model_card"], splits):
        decimals = _table_decimals(markdown)
        assert decimals and decimals <= {2, DISPLAY_DIGITS}, decimals  # 2: fit seconds in the candidates table


@pytest.fixture
def gcs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with fake_gcs_server(tmp_path, buckets=(BUCKET,)) as url:
        point_clients_at_emulators(monkeypatch, gcs_url=url)
        yield url


def test_the_gcs_store_keeps_one_version_per_model_content(gcs):
    from google.cloud import storage

    from imdb_assets.model.gcs_store import GCSModelStore

    store = GCSModelStore(f"gs://{BUCKET}/models", project=EMULATOR_PROJECT)
    trained = train_and_evaluate(sample_features())
    first = store.store_model(trained.pipeline, {"threshold": trained.threshold}, files={"roc.png": b"plot"})
    other = store.store_model(altered_pipeline(trained.pipeline), {"threshold": trained.threshold})
    assert not first.reused and not other.reused and other.version != first.version

    def objects() -> dict[str, tuple]:
        blobs = storage.Client().list_blobs(BUCKET, prefix="models/")
        return {blob.name: (blob.md5_hash, blob.generation) for blob in blobs}

    before = objects()
    retrained = train_and_evaluate(sample_features())
    assert store.store_model(retrained.pipeline, {"threshold": 0.1}) == SavedModel(first.version, reused=True)
    assert objects() == before  # no object written again, `latest` included
    assert store.versions() == [first.version, other.version] and store.latest_trained_version() == other.version

    # A fresh store object (another pod) sees the same content and reuses it too.
    assert GCSModelStore(f"gs://{BUCKET}/models").save(altered_pipeline(retrained.pipeline), {}) == other.version
    storage.Client().bucket(BUCKET).blob(f"models/{first.version}/model.zip").upload_from_string(b"damaged")
    replaced = store.store_model(retrained.pipeline, {"threshold": trained.threshold})
    assert not replaced.reused and store.latest_trained_version() == replaced.version
