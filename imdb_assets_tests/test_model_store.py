"""The model store on a temp folder with a model trained on the bundled sample: safe loading, a champion
pointer, the audit log, one version per model content, and predictions that never drift for a fixed model."""

import hashlib
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from imdb_assets.errors import NotReadyError
from imdb_assets.model import serialization
from imdb_assets.model.champion import promote_if_better
from imdb_assets.model.pipeline import FEATURE_COLUMNS, FeatureSettings
from imdb_assets.model.promotion import PromotionPolicy
from imdb_assets.model.store import CorruptModelError, LocalModelStore, ModelArtifactError, SavedModel
from imdb_assets.model.train import split_frames, train_and_evaluate
from imdb_assets.serving.predictor import predict
from imdb_assets_tests.model_helpers import altered_pipeline, flip_byte, sample_features, store_contents

EDGE_TITLES = [
    ("The Matrix", ["Action", "Sci-Fi"]),
    ("Amélie", "Comedy,Romance"),
    ("Rocky II", ["Drama", "Sport"]),
    ("!!!", []),
    ("x", ["Space-Opera"]),
]


@pytest.fixture(scope="module")
def trained():
    return train_and_evaluate(sample_features())


@pytest.fixture
def store(tmp_path: Path) -> LocalModelStore:
    return LocalModelStore(tmp_path / "models")


def _record(trained) -> dict:
    return {
        "metrics": trained.metrics,
        "threshold": trained.threshold,
        "known_genres": trained.known_genres,
        "training_seconds": trained.timings,
    }


def _save(store, trained) -> str:
    return store.save(trained.pipeline, _record(trained))


def test_saved_model_loads_back_as_the_champion_with_identical_predictions(store, trained):
    with pytest.raises(NotReadyError, match="no trained model is champion"):
        store.load()
    version = _save(store, trained)
    assert store.versions() == [version] and store.latest_trained_version() == version
    with pytest.raises(NotReadyError, match="none beat the promotion rules"):
        store.load()  # saved is not served: only a promotion makes a champion
    store.set_champion(version, "test", actor="pytest")
    loaded = store.load()
    assert loaded.version == version and loaded.threshold == trained.threshold
    test = split_frames(sample_features()).test
    assert np.array_equal(loaded.pipeline.predict_proba(test[FEATURE_COLUMNS])[:, 1], trained.test_probability)


def test_retraining_on_the_same_data_gives_the_same_model_byte_for_byte(trained):
    again = train_and_evaluate(sample_features())
    assert serialization.dumps(again.pipeline) == serialization.dumps(trained.pipeline)
    assert again.threshold == trained.threshold and again.metrics == trained.metrics


def test_predictions_are_stable_for_a_fixed_model(store, trained):
    version = _save(store, trained)
    first, second = store.load(version), store.load(version)
    answers = [predict(first, title, genres) for title, genres in EDGE_TITLES]
    assert answers == [predict(second, title, genres) for title, genres in EDGE_TITLES]
    # One row at a time or all together: the same probabilities, to the last bit.
    frame = split_frames(sample_features()).test[FEATURE_COLUMNS].head(50)
    together = first.pipeline.predict_proba(frame)[:, 1]
    alone = [first.pipeline.predict_proba(frame.iloc[[i]])[0, 1] for i in range(len(frame))]
    assert np.array_equal(together, alone)
    assert answers[4].unknown_genres == ["Space-Opera"] and answers[3].probability > 0


def test_a_corrupted_artifact_is_refused_with_a_one_line_error(store, trained):
    version = _save(store, trained)
    flip_byte(store.root / version / "model.zip")
    with pytest.raises(CorruptModelError) as refused:
        store.load(version)
    message = str(refused.value)
    assert len(message.splitlines()) == 1
    assert (
        version in message and str(store.root / version / "model.zip") in message and "refusing to load it" in message
    )
    with pytest.raises(CorruptModelError):
        store.set_champion(version, "must not happen")  # never promote what cannot be served
    assert store.champion_version() is None


def test_a_replaced_artifact_with_a_forged_checksum_is_still_never_unpickled(store, trained, tmp_path):
    version = _save(store, trained)
    marker = tmp_path / "pickle-ran"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    forged = pickle.dumps(Payload())
    (store.root / version / "model.zip").write_bytes(forged)
    record_path = store.root / version / "model.json"
    record = json.loads(record_path.read_text())
    record["sha256"] = __import__("hashlib").sha256(forged).hexdigest()
    record_path.write_text(json.dumps(record))
    with pytest.raises(ModelArtifactError, match="not a model file"):
        store.load(version)
    assert not marker.exists()


def test_legacy_pickled_versions_and_bad_names_are_refused(store, trained):
    version = _save(store, trained)
    record_path = store.root / version / "model.json"
    record = json.loads(record_path.read_text())
    record.pop("format")
    record_path.write_text(json.dumps(record))
    with pytest.raises(ModelArtifactError, match="joblib"):
        store.load(version)
    with pytest.raises(NotReadyError, match="is not a model version"):
        store.load("../../etc")
    with pytest.raises(NotReadyError, match="not found"):
        store.load("20200101T000000-00000000")


def test_a_half_saved_version_is_invisible(store, trained):
    version = _save(store, trained)
    half = store.root / "20990101T000000000000-deadbeef"
    half.mkdir()
    (half / "model.zip").write_bytes(b"partial")  # a crash before the record was written
    assert store.versions() == [version]


def test_a_worse_challenger_is_kept_out_and_the_decision_is_logged(store, trained):
    features = sample_features()
    champion = _save(store, trained)
    store.set_champion(champion, "first", actor="pytest")
    # Deliberately worse: the same recipe without the title, i.e. a genres-only model.
    worse = train_and_evaluate(features, feature_settings=FeatureSettings(title_features=False))
    assert worse.metrics["roc_auc"] < trained.metrics["roc_auc"]
    worse_version = _save(store, worse)
    baselines = {name: result.metrics for name, result in worse.baselines.items()}
    outcome = promote_if_better(
        store, worse_version, worse.metrics, baselines, split_frames(features).test, PromotionPolicy()
    )
    assert not outcome.promoted and store.champion_version() == champion
    assert outcome.champion_before.metrics["roc_auc"] == pytest.approx(
        trained.metrics["roc_auc"]
    )  # re-scored, same split
    assert (
        f"champion {champion} stays" in outcome.decision.reason and "beats_champion failed" in outcome.decision.reason
    )
    decisions = [(e["decision"], e["version"], e["actor"]) for e in store.audit_log()]
    assert decisions == [("promoted", champion, "pytest"), ("kept_champion", worse_version, "pipeline")]


def test_an_identical_retrain_is_stored_once_and_leaves_the_pointers_alone(store, trained):
    first = store.store_model(trained.pipeline, _record(trained), files={"roc.png": b"first plot"})
    artifact = (store.root / first.version / "model.zip").read_bytes()
    # The version's suffix is the artifact's own digest: its name already says what it holds.
    assert first.version.endswith("-" + hashlib.sha256(artifact).hexdigest()[:8]) and not first.reused
    other = store.store_model(altered_pipeline(trained.pipeline), _record(trained))
    assert not other.reused and other.version != first.version
    store.set_champion(first.version, "test", actor="pytest")
    before = store_contents(store.root)

    retrained = train_and_evaluate(sample_features())  # same data, code and seed: the same parameters
    record = {**_record(retrained), "training_seconds": {"total": 123.0}}  # a record that differs is not content
    again = store.store_model(retrained.pipeline, record, files={"roc.png": b"another plot"})
    assert again == SavedModel(first.version, reused=True)
    assert store.save(retrained.pipeline, record) == first.version
    assert store_contents(store.root) == before  # not a byte written: record, files, `latest` and `champion`
    assert store.versions() == [first.version, other.version] and store.latest_trained_version() == other.version
    assert store.record(first.version)["training_seconds"] == trained.timings


def test_a_damaged_copy_of_a_model_is_never_reused_for_it(store, trained):
    damaged = _save(store, trained)
    flip_byte(store.root / damaged / "model.zip")
    saved = store.store_model(trained.pipeline, _record(trained))
    assert not saved.reused and saved.version != damaged
    assert store.versions() == [damaged, saved.version] and store.latest_trained_version() == saved.version
    assert serialization.dumps(store.load(saved.version).pipeline) == serialization.dumps(trained.pipeline)


BAD_FILE_NAMES = ["..", ".", ".hidden", "a/b", "../outside.zip", "/etc/passwd", "x" * 200, "", "card\n.md"]


@pytest.mark.parametrize("name", BAD_FILE_NAMES)
def test_file_names_that_could_leave_the_version_folder_are_refused(store, trained, name: str):
    version = _save(store, trained)
    with pytest.raises(ValueError, match="cannot attach a file named"):
        store.attach_file(version, name, b"data")
    with pytest.raises(ValueError, match="cannot store a file named"):
        store.store_model(altered_pipeline(trained.pipeline), _record(trained), files={name: b"data"})
    for read in (store.read_file, store.file_location):
        refusal = f"model {version}: .* is not a plain file name in its version folder"
        with pytest.raises(ModelArtifactError, match=refusal) as refused:
            read(version, name)
        assert len(str(refused.value).splitlines()) == 1 and len(str(refused.value)) < 200


def test_reads_never_follow_a_link_out_of_their_folder(store, trained, tmp_path):
    version = _save(store, trained)
    outside = tmp_path / "outside.json"
    record = store.root / version / "model.json"
    outside.write_bytes(record.read_bytes())
    record.unlink()
    record.symlink_to(outside)
    refusal = "is a link leading out of its version folder; refusing to read it"
    with pytest.raises(ModelArtifactError, match=refusal) as refused:
        store.record(version)
    assert str(refused.value) == f"model {version}: model.json {refusal} (in {store.root / version / 'model.json'})"
    assert refused.value.public == f"model {version}: model.json {refusal}"

    (store.root / "champion").symlink_to(outside)
    with pytest.raises(OSError, match="leads outside"):
        store.champion_version()
    # A link that stays inside its folder is followed.
    record.unlink()
    (store.root / version / "record-copy.json").write_bytes(outside.read_bytes())
    record.symlink_to("record-copy.json")
    assert store.record(version)["version"] == version


def test_a_record_naming_an_artifact_elsewhere_is_refused_before_anything_is_read(store, trained):
    version = _save(store, trained)
    record_path = store.root / version / "model.json"
    for artifact in ("../../outside.zip", "/etc/passwd", ["model.zip"], None):
        record = json.loads(record_path.read_text())
        record["artifact"] = artifact
        record_path.write_text(json.dumps(record))
        refusal = "names artifact .*, not a plain file name in its version folder"
        with pytest.raises(ModelArtifactError, match=refusal) as refused:
            store.load(version)
        assert refused.value.public.startswith(f"model {version}: model.json names artifact")
        assert str(store.root) not in refused.value.public
    assert store.version_with_artifact(serialization.dumps(trained.pipeline)) is None  # never reused either


def test_version_files_lists_only_names_the_store_could_have_written(store, trained):
    version = _save(store, trained)
    (store.root / version / "not a store name.txt").write_text("x")
    assert sorted(store.version_files(version)) == ["model.json", "model.zip"]
