"""The rating threshold has one source: its default lives in contracts/features.py, `FeaturesConfig` is the
one run-time knob, and the model reads the threshold its input was labelled with from the features
frame itself (kept through the Parquet IO managers), never from the event log."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pandas as pd
import pytest
from dagster import AssetKey, build_init_resource_context, build_input_context, build_output_context

from imdb_assets.contracts import features as features_contract
from imdb_assets.contracts.features import DEFAULT_RATING_THRESHOLD, RATING_THRESHOLD_ATTR, rating_threshold_of
from imdb_assets.errors import DataError
from imdb_assets.features.assets import FeaturesConfig
from imdb_assets.features.prepare import prepare_features
from imdb_assets.instance import local_instance
from imdb_assets.model.store import LocalModelStore
from imdb_assets.resources.parquet_io import ParquetIOManager
from imdb_assets.resources.parquet_frames import read_frame, write_frame
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.model_helpers import (
    asset_metadata,
    materialize_features_and_model,
    materialize_model,
    model_metadata,
    sample_features,
)
from imdb_assets_tests.prod_fixtures import EMULATOR_PROJECT, fake_gcs_server, point_clients_at_emulators

PACKAGE_DIR = Path(features_contract.__file__).resolve().parent.parent
SOURCE = "imdb_assets/contracts/features.py"
BUCKET = "imdb-io"


def _features_path(home: Path) -> Path:
    return LocalPaths(home).features_dir / "movie_features.parquet"


def _store(home: Path) -> LocalModelStore:
    return LocalModelStore(LocalPaths(home).models_dir)


def _record(home: Path, instance) -> dict:
    return _store(home).record(model_metadata(instance)["model_version"])


def _assert_labels_follow(features: pd.DataFrame, threshold: float) -> None:
    assert rating_threshold_of(features) == threshold
    expected = (features["averageRating"] >= threshold).astype("int64")
    assert features["label"].tolist() == expected.tolist()
    assert 0 < features["label"].sum() < len(features)  # the sample has movies on both sides


def _assert_record_follows(record: dict, features: pd.DataFrame, threshold: float) -> None:
    assert record["rating_threshold"] == threshold
    test_labels = features.loc[features["split"] == "test", "label"]
    assert record["split"]["rows"]["test"]["positive_share"] == pytest.approx(test_labels.mean(), abs=5e-5)  # kept to 4 digits


def test_by_default_features_and_model_use_the_one_default(built_home: Path):
    instance = local_instance(LocalPaths(built_home).dagster_home)
    features = read_frame(_features_path(built_home))
    assert DEFAULT_RATING_THRESHOLD == 5.0
    _assert_labels_follow(features, DEFAULT_RATING_THRESHOLD)
    _assert_record_follows(_record(built_home, instance), features, DEFAULT_RATING_THRESHOLD)


def test_a_configured_threshold_flows_from_features_to_the_model(home_copy: Path):
    instance = local_instance(LocalPaths(home_copy).dagster_home)
    assert materialize_features_and_model(instance, features_config={"rating_threshold": 7.0}).success
    features = read_frame(_features_path(home_copy))
    _assert_labels_follow(features, 7.0)
    assert asset_metadata(instance, "movie_features")["rating_threshold"] == 7.0
    record = _record(home_copy, instance)
    _assert_record_follows(record, features, 7.0)
    assert "rating at least 7?" in _store(home_copy).read_file(record["version"], "model_card.md").decode("utf-8")


def test_the_model_reads_the_threshold_from_its_input_not_from_the_event_log(home_copy: Path):
    instance = local_instance(LocalPaths(home_copy).dagster_home)
    path = _features_path(home_copy)
    relabelled = read_frame(path)
    relabelled["label"] = (relabelled["averageRating"] >= 7.0).astype("int64")
    relabelled.attrs[RATING_THRESHOLD_ATTR] = 7.0
    write_frame(relabelled, path)

    assert materialize_model(instance).success
    # The latest features materialization still says the default; the record follows the frame.
    assert asset_metadata(instance, "movie_features")["rating_threshold"] == DEFAULT_RATING_THRESHOLD
    _assert_record_follows(_record(home_copy, instance), relabelled, 7.0)


def test_features_without_a_threshold_are_refused_not_guessed(home_copy: Path):
    instance = local_instance(LocalPaths(home_copy).dagster_home)
    path = _features_path(home_copy)
    unmarked = read_frame(path)
    unmarked.attrs.clear()
    write_frame(unmarked, path)
    with pytest.raises(DataError, match="no rating threshold"):
        rating_threshold_of(read_frame(path))
    assert not materialize_model(instance, raise_on_error=False).success


def test_prepare_features_marks_its_frame_and_the_parquet_file_keeps_it(tmp_path: Path):
    features = sample_features()
    assert rating_threshold_of(features) == DEFAULT_RATING_THRESHOLD
    features.attrs[RATING_THRESHOLD_ATTR] = 6.5
    write_frame(features, tmp_path / "f.parquet")
    assert rating_threshold_of(read_frame(tmp_path / "f.parquet")) == 6.5


def test_the_gcs_io_manager_keeps_the_threshold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    features = sample_features()
    features.attrs[RATING_THRESHOLD_ATTR] = 7.0
    key = AssetKey("movie_features")
    with fake_gcs_server(tmp_path, buckets=(BUCKET,)) as url:
        point_clients_at_emulators(monkeypatch, gcs_url=url)
        manager = ParquetIOManager(base_path=f"gs://{BUCKET}/features", gcp_project=EMULATOR_PROJECT)
        manager = manager.create_io_manager(build_init_resource_context())
        manager.handle_output(build_output_context(asset_key=key), features)
        loaded = manager.load_input(build_input_context(asset_key=key))
    assert rating_threshold_of(loaded) == 7.0


def test_the_knobs_default_to_the_one_source():
    assert FeaturesConfig().rating_threshold == DEFAULT_RATING_THRESHOLD
    assert inspect.signature(prepare_features).parameters["rating_threshold"].default == DEFAULT_RATING_THRESHOLD
    settings_source = (PACKAGE_DIR / "settings.py").read_text()
    assert "RATING_THRESHOLD" not in settings_source and "def rating_threshold" not in settings_source


def _is_five(node: ast.AST | None) -> bool:
    """5 written as a number or a string, also as a fallback (`a if b else 5.0`, `a or 5.0`)."""
    if isinstance(node, ast.IfExp):
        return _is_five(node.body) or _is_five(node.orelse)
    if isinstance(node, ast.BoolOp):
        return any(_is_five(value) for value in node.values)
    return isinstance(node, ast.Constant) and not isinstance(node.value, bool) and node.value in (5, 5.0, "5", "5.0")


def _names_threshold(node: ast.AST | None, words: tuple[str, ...] = ("threshold",)) -> bool:
    """A name, attribute, argument, keyword, string or subscript that speaks of one of `words`."""
    if isinstance(node, ast.Subscript):
        return _names_threshold(node.value, words) or _names_threshold(node.slice, words)
    if isinstance(node, ast.Name):
        text = node.id
    elif isinstance(node, ast.Attribute):
        text = node.attr
    elif isinstance(node, ast.arg):
        text = node.arg
    elif isinstance(node, ast.keyword):
        text = node.arg or ""
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    else:
        return False
    return any(word in text.lower() for word in words)


def threshold_fives(source: str) -> list[int]:
    """Lines where 5 (or "5") is given to something named a threshold: assigned, defaulted, keyed,
    passed beside it, or compared with it."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        pairs: list[tuple[ast.AST | None, ast.AST | None]] = []
        if isinstance(node, ast.Assign):
            pairs = [(target, node.value) for target in node.targets]
        elif isinstance(node, ast.AnnAssign):
            pairs = [(node.target, node.value)]
        elif isinstance(node, ast.arguments):
            positional = node.posonlyargs + node.args
            pairs = list(zip(positional[len(positional) - len(node.defaults):], node.defaults))
            pairs += list(zip(node.kwonlyargs, node.kw_defaults))
        elif isinstance(node, ast.Dict):
            pairs = list(zip(node.keys, node.values))
        elif isinstance(node, ast.Call):
            named = [arg for arg in [node.func, *node.args, *node.keywords] if _names_threshold(arg)]
            values = [*node.args, *(keyword.value for keyword in node.keywords)]
            pairs = [(name, value) for name in named for value in values]
        elif isinstance(node, ast.Compare):
            # A rating compared with 5 is the label rule written out again.
            operands = [node.left, *node.comparators]
            pairs = [(a, b) for a in operands for b in operands if a is not b and _names_threshold(a, ("rating",))]
        lines += [value.lineno for name, value in pairs if _names_threshold(name, ("threshold", "rating")) and _is_five(value)]
    return lines


def test_the_checker_finds_each_way_of_writing_the_number():
    samples = [
        "rating_threshold = 5.0",
        "class C:\n    rating_threshold: float = 5.0",
        "def f(rating_threshold=5): ...",
        "record = {'rating_threshold': 5.0}",
        "record.get('rating_threshold', 5)",
        "os.environ.get('IMDB_ASSETS_RATING_THRESHOLD', '5')",
        "label = (movies['averageRating'] >= 5.0).astype(int)",
        "if rating_threshold == 5: ...",
        "record = {'rating_threshold': rating_threshold if rating_threshold is not None else 5.0}",
        "rating_threshold = configured or 5",
    ]
    assert [sample for sample in samples if not threshold_fives(sample)] == []
    assert not threshold_fives("DEFAULT = 4.0\nmax_rows = 5\n")


def test_no_module_but_the_one_source_defines_the_default():
    found = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        relative = path.relative_to(PACKAGE_DIR.parent).as_posix()
        if relative != SOURCE and (lines := threshold_fives(path.read_text())):
            found[relative] = lines
    assert found == {}
    assert threshold_fives((PACKAGE_DIR.parent / SOURCE).read_text())  # the one source is seen by the checker


@pytest.mark.parametrize(
    "module", ["features/assets.py", "features/prepare.py", "dataset/checks.py", "dataset/assets.py"]
)
def test_the_users_of_the_default_import_it_from_the_one_source(module: str):
    tree = ast.parse((PACKAGE_DIR / module).read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "imdb_assets.contracts.features"
        for alias in node.names
    }
    assert "DEFAULT_RATING_THRESHOLD" in imported
