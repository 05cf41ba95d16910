"""Model retention: the champion, every earlier champion, `latest` and the newest M others are kept; the
rest are deleted, on a folder and on GCS (fake-gcs-server) alike."""

from __future__ import annotations

import pytest

from imdb_assets.model.retention import plan_model_retention
from imdb_assets.model.store import LocalModelStore
from imdb_assets_tests.prod_fixtures import EMULATOR_PROJECT
from imdb_assets_tests.test_prod_gcs import BUCKET, gcs, tiny_model  # noqa: F401 (gcs is a fixture)


def distinct_model(intercept: float):
    """The tiny fitted pipeline with its own intercept: another model, other artifact bytes."""
    from imdb_assets.model.pipeline import calibrated_linear_pipeline

    pipeline, _ = tiny_model()
    classifier = pipeline.named_steps["classifier"]
    return calibrated_linear_pipeline(pipeline.named_steps["features"], classifier.coef_.ravel(), intercept)


def seven_models(store) -> list[str]:
    """Seven models: the 1st and 4th promoted (the 4th is the champion), the others challengers."""
    versions = [store.save(distinct_model(1 + i / 10), {"dataset_version": f"{i:032x}"}) for i in range(7)]
    store.set_champion(versions[0], reason="first", actor="test")
    store.set_champion(versions[3], reason="better", actor="test")
    return versions


def check_retention(store) -> None:
    versions = seven_models(store)
    plan = plan_model_retention(store, challengers_kept=2)
    assert plan.kept == dict(sorted({
        versions[0]: "previous champion", versions[3]: "champion", versions[6]: "latest",
        versions[5]: "recent challenger", versions[4]: "recent challenger",
    }.items()))  # fmt: skip
    assert plan.delete == [versions[1], versions[2]]
    assert plan.dataset_versions[versions[3]] == f"{3:032x}"
    freed = [store.delete_version(v) for v in plan.delete]
    assert all(size > 0 for size in freed)
    assert store.versions() == sorted(plan.kept)
    for version in plan.kept:
        assert store.load(version).version == version
    with pytest.raises(ValueError, match="is the champion or the latest model"):
        store.delete_version(versions[3])
    assert plan_model_retention(store, challengers_kept=2).delete == []


def test_local_store_keeps_champions_latest_and_newest_challengers(tmp_path):
    store = LocalModelStore(tmp_path / "models")
    check_retention(store)
    assert sorted(p.name for p in (tmp_path / "models").iterdir() if p.name[0].isdigit()) == store.versions()


def test_gcs_store_deletes_the_same_versions(gcs):  # noqa: F811
    from imdb_assets.model.gcs_store import GCSModelStore

    check_retention(GCSModelStore(f"gs://{BUCKET}/models", project=EMULATOR_PROJECT))
