"""Champion/challenger through Dagster and the CLI, in copies of a home built on the bundled sample."""

import copy
from datetime import date
from pathlib import Path

import pytest
from dagster import AssetKey

from imdb_assets.instance import local_instance
from imdb_assets.model.store import LocalModelStore
from imdb_assets.pipeline_run import summarize
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.model_helpers import (
    flip_byte,
    materialize_model,
    model_metadata,
    run_cli,
    run_cli_json,
    with_model_command,
)

MODEL_METRICS = {"roc_auc", "pr_auc", "balanced_accuracy", "f1", "log_loss", "brier", "positive_rate"}


def _store(home: Path) -> LocalModelStore:
    return LocalModelStore(LocalPaths(home).models_dir)


@pytest.mark.slow  # one whole `imdb-assets run` (~60 s)
def test_run_json_reports_metrics_baselines_threshold_and_the_promotion(home_copy: Path, capsys):
    instance = local_instance(LocalPaths(home_copy).dagster_home)
    first = summarize(date(2026, 11, 1), instance).model  # what the run that built the home printed
    assert first["promoted"] is True and first["champion_version"] == first["version"]
    assert first["reason"].startswith("promoted: first champion")

    summary = run_cli_json(capsys, "run", "--snapshot-date", "2026-11-01")
    model = summary["model"]
    assert set(model["metrics"]) == MODEL_METRICS and all(isinstance(v, float) for v in model["metrics"].values())
    assert set(model["baselines"]) == {"majority", "genres_only"}
    for baseline in model["baselines"].values():
        assert MODEL_METRICS | {"threshold"} <= set(baseline)
    assert model["baselines"]["majority"]["roc_auc"] == 0.5
    assert 0.0 < model["threshold"] < 1.0
    movies = summary["assets"]["movie_features"]["rows"]
    assert 0.15 * movies < sum(model["confusion_matrix"].values()) < 0.25 * movies  # the held-out ~20 %
    # Same data, same seed: the challenger is the champion's model byte for byte, so the store reuses its
    # version, and it cannot beat itself by the margin.
    assert model["version"] == first["version"] and model["metrics"] == first["metrics"]
    assert model["promoted"] is False and model["champion_version"] == first["version"]
    assert f"not promoted (champion {first['version']} stays): beats_champion failed" in model["reason"]
    assert "not significantly better: difference +0.0000" in model["reason"]
    assert summary["assets"]["enjoyment_model"]["data_version"] == first["version"]  # the model in service


def test_a_worse_challenger_is_not_promoted_until_a_person_promotes_it(home_copy: Path, capsys, monkeypatch):
    with_model_command(monkeypatch)
    store = _store(home_copy)
    champion = store.champion_version()
    instance = local_instance(LocalPaths(home_copy).dagster_home)

    # Deliberately worse: the same recipe without titles (a genres-only model).
    result = materialize_model(instance, {"title_features": False})
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["artifact_reproduces_predictions"].passed
    assert "beats_genres_only" in checks["beats_baselines"].description
    meta = model_metadata(instance)
    worse = meta["model_version"]
    assert meta["promoted"] is False and meta["champion_version"] == champion and store.champion_version() == champion
    assert meta["roc_auc"] < meta["champion_on_current_test_split"]["roc_auc"]
    assert meta["promotion_reason"].startswith(f"not promoted (champion {champion} stays): ")
    assert "beats_champion failed" in meta["promotion_reason"]  # (whether it also fails a baseline rule is the data's)
    assert run_cli_json(capsys, "predict", "--title", "Heat", "--genres", "Crime,Drama")["model_version"] == champion

    listed = run_cli_json(capsys, "model", "list")
    assert [m["version"] for m in listed["models"]] == [champion, worse]
    assert [m["champion"] for m in listed["models"]] == [True, False] and listed["models"][1]["latest"]

    # A person overrides the rules; it is logged with who and why.
    code, out, _ = run_cli(capsys, "model", "promote", worse, "--reason", "rollback drill")
    assert code == 0 and f"champion is now {worse} (was {champion})" in out
    last = store.audit_log()[-1]
    assert last["decision"] == "promoted" and last["actor"].startswith("cli:") and "rollback drill" in last["reason"]
    assert run_cli_json(capsys, "predict", "--title", "Heat", "--genres", "Crime,Drama")["model_version"] == worse

    # The next training run is better than that genres-only champion on the point estimate, but on the
    # sample's ~470 test rows not significantly: it stays out, and the metadata says so with the numbers.
    materialize_model(instance)
    meta = model_metadata(instance)
    assert meta["roc_auc"] > meta["champion_on_current_test_split"]["roc_auc"]
    assert meta["promoted"] is False and store.champion_version() == worse
    assert meta["promotion_reason"].startswith(f"not promoted (champion {worse} stays): beats_champion failed")
    assert "not significantly better: difference +" in meta["promotion_reason"] and "p = " in meta["promotion_reason"]
    champion_test = meta["paired_tests"]["champion"]
    assert champion_test["difference"] > 0 and champion_test["one_sided_low"] <= 0 < champion_test["high"]
    decisions = [d["decision"] for d in run_cli_json(capsys, "model", "show")["decisions"]]
    assert decisions[0] == "kept_champion"  # the latest decision: the challenger kept out


def test_a_clearly_better_challenger_replaces_a_bad_champion(home_copy: Path, capsys, monkeypatch):
    with_model_command(monkeypatch)
    store = _store(home_copy)
    instance = local_instance(LocalPaths(home_copy).dagster_home)
    # A champion that ranks movies backwards (the real one with its coefficients negated), put in service by hand.
    good = store.load()
    backwards = copy.deepcopy(good.pipeline)
    backwards.named_steps["classifier"].coef_ = -backwards.named_steps["classifier"].coef_
    bad = store.save(backwards, {k: v for k, v in good.record.items() if k not in ("version", "sha256", "artifact")})
    code, _, err = run_cli(capsys, "model", "promote", bad, "--reason", "drill: a bad champion")
    assert code == 0, err

    materialize_model(instance)
    meta = model_metadata(instance)
    assert meta["promoted"] is True and store.champion_version() == meta["model_version"] == good.version
    assert meta["promotion_reason"].startswith(f"promoted: beats champion {bad} on the current test split")
    assert "significantly better: difference +" in meta["promotion_reason"]
    assert meta["paired_tests"]["champion"]["one_sided_low"] > 0


def test_a_corrupted_champion_is_refused_and_replaced_by_the_next_good_model(home_copy: Path, capsys, monkeypatch):
    with_model_command(monkeypatch)
    store = _store(home_copy)
    champion = store.champion_version()
    flip_byte(store.root / champion / "model.zip", offset=2000)

    code, out, err = run_cli(capsys, "predict", "--title", "Heat", "--genres", "Crime")
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert f"model {champion}" in err and "sha256" in err and "refusing to load it" in err
    code, _, err = run_cli(capsys, "model", "promote", "no-such-version")
    assert code == 1 and "is not a model version" in err and len(err.strip().splitlines()) == 1

    materialize_model(local_instance(LocalPaths(home_copy).dagster_home))
    meta = model_metadata(local_instance(LocalPaths(home_copy).dagster_home))
    assert meta["promoted"] is True and store.champion_version() == meta["model_version"] != champion
    assert f"champion {champion} cannot be scored" in meta["promotion_reason"]
    assert (
        run_cli_json(capsys, "predict", "--title", "Heat", "--genres", "Crime")["model_version"]
        == meta["model_version"]
    )
    # Nobody can put the damaged version back in service by hand either.
    code, _, err = run_cli(capsys, "model", "promote", champion)
    assert code == 1 and "refusing to load it" in err and store.champion_version() == meta["model_version"]


def test_the_champion_beats_both_baselines_on_the_samples_held_out_split(built_home: Path):
    import pandas as pd
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    store = _store(built_home)
    champion = store.load()
    record = champion.record
    features = pd.read_parquet(LocalPaths(built_home).features_dir / "movie_features.parquet")
    test = features[features["split"] == "test"]
    # Recomputed here from the served artifact, not taken from what training reported.
    probability = champion.pipeline.predict_proba(test[["title_clean", "genres"]])[:, 1]
    roc_auc = roc_auc_score(test["label"], probability)
    balanced_accuracy = balanced_accuracy_score(test["label"], probability >= champion.threshold)
    assert roc_auc == pytest.approx(record["metrics"]["roc_auc"], abs=1e-12)
    assert balanced_accuracy == pytest.approx(record["metrics"]["balanced_accuracy"], abs=1e-12)
    for name in ("majority", "genres_only"):
        baseline = record["baselines"][name]
        assert roc_auc > baseline["roc_auc"] and balanced_accuracy > baseline["balanced_accuracy"], name
    assert record["baselines"]["majority"]["balanced_accuracy"] == 0.5
    assert record["metrics"]["rows"] == len(test)


def test_the_model_is_saved_with_its_lineage_plots_and_card(built_home: Path):
    store = _store(built_home)
    record = store.record(store.champion_version())
    instance = local_instance(LocalPaths(built_home).dagster_home)
    meta = model_metadata(instance)
    dataset = instance.get_latest_materialization_event(AssetKey("movies_dataset"))
    assert (
        record["dataset_version"]
        == meta["dataset_version"]
        == dataset.asset_materialization.tags["dagster/data_version"]
    )
    assert record["code_version"]["package"] and len(record["code_version"]["model_source_sha256"]) == 64
    assert {"Drama", "Comedy"} <= set(record["known_genres"]) and 0 < record["threshold"] < 1
    assert record["params"]["candidates_searched"] >= 5 and len({c["family"] for c in record["selection"]}) == 3
    assert sum(c["chosen"] for c in record["selection"]) == 1
    for name, key in (("roc.png", "roc_curve_file"), ("calibration.png", "calibration_curve_file")):
        assert store.read_file(record["version"], name)[:8] == b"\x89PNG\r\n\x1a\n"
        assert meta[key] == store.file_location(record["version"], name)
    assert meta["roc_curve"].startswith("![ROC curve](data:image/png;base64,")
    card = store.read_file(record["version"], "model_card.md").decode()
    assert card == meta["model_card"] and "## Limitations" in card and record["version"] in card
    assert meta["baselines"]["genres_only"]["roc_auc"] == round(record["baselines"]["genres_only"]["roc_auc"], 4)


class _BitFlippingStore(LocalModelStore):
    """A store on a disk that damages every model file it writes: fault injection over the real folder
    store (only the bytes written are changed), to prove the blocking check stops promotion."""

    def _write_bytes(self, key: str, data: bytes) -> None:
        if key.endswith("/model.zip"):
            data = data[:-40] + bytes(b ^ 0xFF for b in data[-40:])
        super()._write_bytes(key, data)


def _materialize_model_with_store(home: Path, store_class: type[LocalModelStore]):
    """`enjoyment_model` alone, through Dagster, with the model store of `store_class` on the home's
    folder (fault injection over the real store); the result and the reproduction check's evaluation."""
    from dagster import materialize

    from imdb_assets.definitions import ALL_ASSETS, build_definitions
    from imdb_assets.model.store_resource import ModelStoreResource

    class InjectedStoreResource(ModelStoreResource):
        def store(self):
            return store_class(self.root)

    instance = local_instance(LocalPaths(home).dagster_home)
    resources = {**build_definitions().resources, "model_store": InjectedStoreResource(root=str(_store(home).root))}
    result = materialize(
        ALL_ASSETS,
        selection=[AssetKey("enjoyment_model")],
        instance=instance,
        resources=resources,
        # Another seed: a model the store does not hold yet, so it is written (through the injected store).
        run_config={"ops": {"enjoyment_model": {"config": {"seed": 1}}}},
        raise_on_error=False,
    )
    check = {e.check_name: e for e in result.get_asset_check_evaluations()}["artifact_reproduces_predictions"]
    return result, check, instance


def test_an_artifact_that_does_not_reload_fails_the_run_and_is_never_promoted(home_copy: Path, capsys, monkeypatch):
    with_model_command(monkeypatch)
    store = _store(home_copy)
    champion = store.champion_version()
    decisions_before = len(store.audit_log())
    result, check, instance = _materialize_model_with_store(home_copy, _BitFlippingStore)
    assert not result.success
    assert not check.passed and "refusing to load it" in check.description
    assert store.champion_version() == champion and len(store.audit_log()) == decisions_before
    assert model_metadata(instance)["promoted"] is False
    code, out, _ = run_cli(capsys, "model", "history")
    assert code == 0 and len(out.strip().splitlines()) == decisions_before
    code, out, _ = run_cli(capsys, "model", "list")
    assert code == 0 and f"{champion}" in out and "champion" in out


def test_a_reloaded_model_that_differs_on_one_late_test_row_fails_the_check(home_copy: Path, monkeypatch):
    """The whole model is compared, not a sample of its predictions: a reload that changes one weight used
    only by the last test movie (none of the rows re-predicted through `predict_proba`) fails the
    blocking check."""
    from imdb_assets.model.assets import REFERENCE_ROWS
    from imdb_assets.model.pipeline import FEATURE_COLUMNS
    from imdb_assets.model.text_matrix import transform_features
    from imdb_assets.model.train import split_frames
    from imdb_assets.resources.parquet_frames import read_frame

    paths = LocalPaths(home_copy)
    test_rows = split_frames(read_frame(paths.features_dir / "movie_features.parquet")).test[FEATURE_COLUMNS]
    assert len(test_rows) > REFERENCE_ROWS + 1

    class _OneWeightOffStore(LocalModelStore):
        def load(self, version=None):
            loaded = super().load(version)
            features = loaded.pipeline.named_steps["features"]
            late = set(transform_features(features, test_rows.tail(1)).indices)
            early = set(transform_features(features, test_rows.head(REFERENCE_ROWS)).indices)
            column = min(late - early)  # a weight only the last movie uses
            loaded.pipeline.named_steps["classifier"].coef_[0, column] += 1e-3
            return loaded

    store = _store(home_copy)
    champion, decisions_before = store.champion_version(), len(store.audit_log())
    result, check, _ = _materialize_model_with_store(home_copy, _OneWeightOffStore)
    assert not result.success
    assert not check.passed and "idf weights or coefficients differ" in check.description
    assert check.metadata["parameters_equal"].value is False
    assert store.champion_version() == champion and len(store.audit_log()) == decisions_before
