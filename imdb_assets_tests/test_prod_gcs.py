"""The GCS data lake and DVC on a gs:// remote, against fake-gcs-server (started and stopped here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster_gcp import GCSResource
from google.cloud import storage

from imdb_assets.dataset.repository import DatasetRepository
from imdb_assets.resources.gcs_lake import GCSLake
from imdb_assets.resources.gs_url import split_gs_url
from imdb_assets.resources.lake import LakeConflictError
from imdb_assets_tests.prod_fixtures import EMULATOR_PROJECT, fake_gcs_server, point_clients_at_emulators

BUCKET = "imdb-lake"


@pytest.fixture
def gcs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with fake_gcs_server(tmp_path, buckets=(BUCKET,)) as url:
        point_clients_at_emulators(monkeypatch, gcs_url=url)
        yield url


def test_lake_puts_files_under_its_prefix_and_reruns_are_idempotent(gcs, tmp_path):
    lake = GCSLake(gcs=GCSResource(project=EMULATOR_PROJECT), url=f"gs://{BUCKET}/lake/")
    csv = tmp_path / "movies.csv"
    csv.write_text("tconst,primaryTitle\ntt0000001,Heat\n")
    key = "raw/filtered_movies_incremental/snapshot_date=2026-11-01/filtered_movies_incremental.csv"

    assert not lake.exists(key)
    uri = lake.put_file(csv, key)
    assert uri == f"gs://{BUCKET}/lake/{key}"
    assert lake.exists(key) and lake.uri(key) == uri
    blob = storage.Client().bucket(BUCKET).get_blob(f"lake/{key}")
    assert blob.download_as_bytes() == csv.read_bytes()
    first_generation = blob.generation

    assert lake.put_file(csv, key) == uri  # same bytes: nothing is rewritten
    assert storage.Client().bucket(BUCKET).get_blob(f"lake/{key}").generation == first_generation

    original = csv.read_bytes()
    csv.write_text("tconst,primaryTitle\ntt0000001,Heat (1995)\n")
    with pytest.raises(LakeConflictError, match="immutable"):
        lake.put_file(csv, key)  # other bytes never overwrite a lake object
    assert storage.Client().bucket(BUCKET).get_blob(f"lake/{key}").download_as_bytes() == original
    copy = lake.get_file(key, tmp_path / "back" / "movies.csv")
    assert copy.read_bytes() == original


def test_lake_refuses_keys_that_leave_its_prefix(gcs):
    lake = GCSLake(gcs=GCSResource(project=EMULATOR_PROJECT), url=f"gs://{BUCKET}/lake")
    with pytest.raises(ValueError, match="must be a relative path"):
        lake.exists("../elsewhere/file.csv")
    with pytest.raises(ValueError, match="not a gs://bucket"):
        split_gs_url("s3://bucket/lake")


def test_dvc_pushes_to_gs_and_pulls_a_version_back_in_a_fresh_working_copy(gcs, tmp_path):
    """What a run pod does: publish a version to the gs:// remote; a later pod, with an empty DVC
    repository and no cache, gets the exact bytes back by md5."""
    remote = f"gs://{BUCKET}/dvc"
    relative_path = "raw/filtered_movies_incremental.csv"
    candidate = tmp_path / "candidate.csv"
    candidate.write_text("tconst,primaryTitle\ntt0000001,Heat\n")

    publisher = DatasetRepository(repo_dir=str(tmp_path / "pod-1" / "data"), remote_url=remote)
    version = publisher.stage(candidate, relative_path)
    assert version.remote_url == remote
    pushed = [b.name for b in storage.Client().list_blobs(BUCKET, prefix="dvc/")]
    assert pushed == [f"dvc/files/md5/{version.md5[:2]}/{version.md5[2:]}"]
    assert publisher.is_on_remote(version.md5, relative_path)

    reader = DatasetRepository(repo_dir=str(tmp_path / "pod-2" / "data"), remote_url=remote)
    restored = reader.materialize_version(version.md5, tmp_path / "restored.csv", relative_path)
    assert restored.read_text() == "tconst,primaryTitle\ntt0000001,Heat\n"

    unknown = "0" * 32
    assert not reader.is_on_remote(unknown, relative_path)
    with pytest.raises(FileNotFoundError, match="neither in the DVC cache nor on the remote gs://"):
        reader.materialize_version(unknown, tmp_path / "missing.csv", relative_path)



def tiny_model():
    """A fitted pipeline of the one shape the store's format holds, without training."""
    import numpy as np
    import pandas as pd

    from imdb_assets.model.pipeline import FEATURE_COLUMNS, FeatureSettings, build_features, calibrated_linear_pipeline

    titles = ["the heat", "heat of the night", "the night", "love story", "a love story", "the story"]
    genres = ["Crime,Drama", "Crime,Drama", "Drama", "Comedy,Romance", "Comedy,Romance", "Drama"]
    frame = pd.DataFrame({"title_clean": titles * 3, "genres": genres * 3})
    features = build_features(FeatureSettings(min_genre_pair_titles=1)).fit(frame[FEATURE_COLUMNS])
    width = features.transform(frame[FEATURE_COLUMNS]).shape[1]
    return calibrated_linear_pipeline(features, np.linspace(-1, 1, width), 0.25), frame[FEATURE_COLUMNS]


def test_model_store_on_gcs_versions_champion_audit_and_refuses_a_tampered_model(gcs):
    from imdb_assets.errors import NotReadyError
    from imdb_assets.model.gcs_store import GCSModelStore
    from imdb_assets.model.store import CorruptModelError

    store = GCSModelStore(f"gs://{BUCKET}/models", project=EMULATOR_PROJECT)
    with pytest.raises(NotReadyError, match="no trained model is champion in gs://imdb-lake/models"):
        store.load()
    pipeline, frame = tiny_model()
    version = store.save(pipeline, {"dataset_version": "a" * 32}, files={"card.md": b"# model card"})
    store.set_champion(version, reason="first model", actor="test")

    # A fresh store object (the serving pod) finds the champion and the same model.
    served = GCSModelStore(f"gs://{BUCKET}/models").load()
    assert served.version == version and store.versions() == [version]
    assert served.record["dataset_version"] == "a" * 32
    assert list(served.pipeline.predict_proba(frame)[:, 1]) == list(pipeline.predict_proba(frame)[:, 1])
    assert sorted(store.version_files(version)) == ["card.md", "model.json", "model.zip"]
    assert store.read_file(version, "card.md") == b"# model card"
    assert [entry["decision"] for entry in store.audit_log()] == ["promoted"]
    assert store.file_location(version, "card.md") == f"gs://{BUCKET}/models/{version}/card.md"

    storage.Client().bucket(BUCKET).blob(f"models/{version}/model.zip").upload_from_string(b"not the model")
    with pytest.raises(CorruptModelError, match=f"model.zip has sha256 .*gs://imdb-lake/models/{version}/model.zip"):
        store.load(version)


def test_the_commands_use_the_gcs_model_store_in_prod(gcs, monkeypatch, capsys):
    from imdb_assets.cli import main
    from imdb_assets.model.gcs_store import GCSModelStore
    from imdb_assets.model_store_for_env import model_store_for_env

    # The commands read the same checked prod settings as the asset graph: all of them must be set.
    for name, value in {
        "IMDB_ASSETS_ENV": "prod",
        "IMDB_ASSETS_MODEL_STORE_URL": f"gs://{BUCKET}/models",
        "IMDB_ASSETS_GCP_PROJECT": EMULATOR_PROJECT,
        "IMDB_ASSETS_LAKE_URL": f"gs://{BUCKET}/lake",
        "IMDB_ASSETS_DVC_REMOTE_URL": f"gs://{BUCKET}/dvc",
        "IMDB_ASSETS_IO_URL": f"gs://{BUCKET}/io",
    }.items():
        monkeypatch.setenv(name, value)
    store = model_store_for_env()
    assert isinstance(store, GCSModelStore) and store.url == f"gs://{BUCKET}/models"
    capsys.readouterr()
    assert main(["predict", "--title", "Heat", "--genres", "Crime"]) == 1  # an empty bucket has no champion
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "champion" in error, error
