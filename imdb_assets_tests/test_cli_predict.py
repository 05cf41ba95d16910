"""`imdb-assets predict`: unknown genres refused with suggestions, answers equal to the pipeline's, a light import path."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from imdb_assets.cli import main
from imdb_assets.model import pipeline as model_pipeline
from imdb_assets.model import serialization
from imdb_assets.model.store import RECORD_FILE, CorruptModelError, LocalModelStore, ModelArtifactError
from imdb_assets.model import compiled_scorer
from imdb_assets.model.compiled_scorer import compile_artifact
from imdb_assets.serving.file_model import load_champion
from imdb_assets.serving.predictor import predict
from imdb_assets.model.text_analyzers import TOKENIZERS, analyzer_for
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.serving_fixtures import EDGE_CASES

TITLE = "The Matrix"
SYNTHETIC_NOTE = (
    "note: this model was trained on synthetic data: snapshot 2026-11-01 from the bundled synthetic sample: its answers "
    "for real films are not meaningful; to train on IMDb's own files: `imdb-assets run --source "
    "https://datasets.imdbws.com/` (or --source a folder holding title.basics.tsv.gz and title.ratings.tsv.gz)"
)


def run_predict(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(["predict", "--title", TITLE, *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def in_built_home(built_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IMDB_ASSETS_HOME", str(built_home))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return built_home


def known_genres(home: Path) -> list[str]:
    return LocalModelStore(LocalPaths(home).models_dir).load().known_genres


def test_a_misspelt_genre_is_a_one_line_error_naming_the_right_one(in_built_home: Path, capsys):
    code, out, err = run_predict(capsys, "--genres", "Action,Cmedy")
    assert code == 1 and out == ""
    assert err == "imdb-assets predict: error: unknown genre 'Cmedy' (did you mean Comedy?)\n"


def test_a_genre_like_no_other_lists_the_known_genres(in_built_home: Path, capsys):
    code, _, err = run_predict(capsys, "--genres", "Xyzzy")
    assert code == 1
    assert err == f"imdb-assets predict: error: unknown genre 'Xyzzy' (known genres: {', '.join(known_genres(in_built_home))})\n"


def test_the_command_exits_1_without_a_traceback(in_built_home: Path):
    command = [sys.executable, "-c", "import sys; from imdb_assets.cli import main; sys.exit(main())"]
    result = subprocess.run(
        [*command, "predict", "--title", TITLE, "--genres", "Cmedy,Space-Opera"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "unknown genres 'Cmedy' (did you mean Comedy?), 'Space-Opera' (known genres: Action," in result.stderr


def test_allow_unknown_genres_answers_and_json_lists_them(in_built_home: Path, capsys):
    code, out, err = run_predict(capsys, "--genres", "Action,Cmedy", "--allow-unknown-genres", "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["unknown_genres"] == ["Cmedy"] and answer["suggestions"] == {"Cmedy": ["Comedy"]}
    assert err.splitlines()[0] == "note: genres unknown to the model were ignored: Cmedy (did you mean Comedy?)"
    assert err.splitlines()[1:] == [SYNTHETIC_NOTE]
    # The unknown genre adds nothing: the answer is the one for the known genres alone.
    code, out, _ = run_predict(capsys, "--genres", "Action", "--json")
    assert code == 0 and {**json.loads(out), "unknown_genres": ["Cmedy"], "suggestions": {"Cmedy": ["Comedy"]}} == answer


def test_json_lists_no_unknown_genres_for_known_ones(in_built_home: Path, capsys):
    code, out, err = run_predict(capsys, "--genres", "Comedy,Drama", "--json")
    assert code == 0 and err == SYNTHETIC_NOTE + "\n"
    answer = json.loads(out)
    assert answer["unknown_genres"] == [] and answer["suggestions"] == {}
    assert set(answer) == {
        "label", "probability", "threshold", "model_version", "unknown_genres", "suggestions", "training_data", "trained_on",
    }  # fmt: skip
    assert answer["training_data"] == "synthetic"
    assert answer["trained_on"] == "trained on synthetic data: snapshot 2026-11-01 from the bundled synthetic sample"


def test_a_model_trained_on_real_files_says_so_and_gives_no_warning(home_copy: Path, capsys, monkeypatch):
    # The champion's record as a model trained on a folder of IMDb's own files would hold it.
    monkeypatch.setenv("IMDB_ASSETS_HOME", str(home_copy))
    store = LocalModelStore(LocalPaths(home_copy).models_dir)
    record_path = LocalPaths(home_copy).models_dir / store.champion_version() / RECORD_FILE
    record = json.loads(record_path.read_text())
    record["training_data"] = {"source": "/data/imdb/title.basics.tsv.gz", "snapshot_date": "2026-11-01", "kind": "real", "synthetic": False}
    record_path.write_text(json.dumps(record))
    code, out, err = run_predict(capsys, "--genres", "Comedy", "--json")
    assert code == 0 and err == ""
    answer = json.loads(out)
    assert answer["training_data"] == "real"
    assert answer["trained_on"] == "trained on IMDb-format data: snapshot 2026-11-01 from the folder 'imdb'"


@pytest.fixture(scope="module")
def rows(built_home: Path) -> list[tuple[str, str | list[str]]]:
    movies = pd.read_csv(LocalPaths(built_home).movies_csv, keep_default_na=False)
    spread = movies.iloc[:: max(1, len(movies) // 300)]
    extra = [("a  b\tc   d", "Drama"), ("千と千尋の神隠し", "Animation"), ("Die Hard 2", ["Action", "Cmedy"])]
    return [(str(t), str(g)) for t, g in zip(spread["primaryTitle"], spread["genres"])] + extra + [
        (case["title"], case["genres"]) for case in EDGE_CASES
    ]


def test_the_model_file_answers_as_the_pipeline(built_home: Path, rows):
    store = LocalModelStore(LocalPaths(built_home).models_dir)
    quick, full = load_champion(store), store.load()
    for title, genres in rows:
        answer, expected = quick.predict(title, genres), predict(full, title, genres)
        assert answer.probability == pytest.approx(expected.probability, abs=1e-12), title
        assert (answer.label, answer.threshold, answer.model_version) == (expected.label, expected.threshold, expected.model_version)
        assert (answer.unknown_genres, answer.suggestions) == (expected.unknown_genres, expected.suggestions)


def test_a_damaged_model_file_gets_the_stores_own_error(home_copy: Path):
    store = LocalModelStore(LocalPaths(home_copy).models_dir)
    artifact = Path(store.file_location(store.champion_version(), serialization.ARTIFACT_NAME))
    artifact.write_bytes(artifact.read_bytes() + b"tampered")
    with pytest.raises(CorruptModelError, match="refusing to load it"):
        load_champion(store)


def _with_setting(artifact: bytes, block: int, **params) -> bytes:
    """The model file with some vectorizer settings changed (its checksum no longer matters here)."""
    source, out = zipfile.ZipFile(io.BytesIO(artifact)), io.BytesIO()
    spec = json.loads(source.read("spec.json"))
    spec["blocks"][block]["params"].update(params)
    with zipfile.ZipFile(out, "w") as target:
        target.writestr("spec.json", json.dumps(spec))
        target.writestr("arrays.npz", source.read("arrays.npz"))
    return out.getvalue()


def test_settings_it_does_not_restate_are_refused_in_one_line(home_copy: Path):
    store = LocalModelStore(LocalPaths(home_copy).models_dir)
    version = store.champion_version()
    artifact = store.read_file(version, serialization.ARTIFACT_NAME)
    assert compile_artifact(artifact) is not None
    assert compile_artifact(_with_setting(artifact, 0, strip_accents="unicode")) is None
    assert compile_artifact(_with_setting(artifact, 1, analyzer="char_xx")) is None
    assert compile_artifact(b"not a zip") is None
    # A file scikit-learn can rebuild but the compiled scorer does not read is refused, never scored another way.
    odd = _with_setting(artifact, 0, strip_accents="unicode")
    Path(store.file_location(version, serialization.ARTIFACT_NAME)).write_bytes(odd)
    record_path = LocalPaths(home_copy).models_dir / version / RECORD_FILE
    record = json.loads(record_path.read_text())
    record_path.write_text(json.dumps({**record, "sha256": hashlib.sha256(odd).hexdigest()}))
    with pytest.raises(ModelArtifactError, match="holds settings the compiled scorer does not read"):
        load_champion(store)


ANALYZER_SETTINGS = [
    {"analyzer": "word", "ngram_range": (1, 2), "token_pattern": r"(?u)\b\w+\b", "lowercase": True},
    {"analyzer": "word", "ngram_range": (2, 3), "token_pattern": r"(?u)\b\w\w+\b", "lowercase": False},
    {"analyzer": "char_wb", "ngram_range": (2, 4), "lowercase": True},
    {"analyzer": "char_wb", "ngram_range": (1, 5), "lowercase": False},
    {"analyzer": "char", "ngram_range": (1, 3), "lowercase": True},
]
TEXTS = ["the matrix", "", "a", "x  y\tz", "  padded  ", "Ωmega über sequel", "2001 a space odyssey", "ab", "abc de"]


@pytest.mark.parametrize("settings", ANALYZER_SETTINGS, ids=lambda s: f"{s['analyzer']}-{s['ngram_range']}")
def test_analyzers_are_sklearns(settings: dict):
    expected = CountVectorizer(**settings).build_analyzer()
    params = {**settings, "ngram_range": list(settings["ngram_range"]), "strip_accents": None}
    analyze = analyzer_for(params)
    for text in TEXTS:
        assert analyze(text) == expected(text), text


def test_genre_tokenizers_are_the_models():
    for genres in ["", "Drama", "Action,Comedy,Drama", "Comedy,,Horror"]:
        assert TOKENIZERS["genre_tokens"](genres) == model_pipeline.genre_tokens(genres)
        assert TOKENIZERS["genre_pair_tokens"](genres) == model_pipeline.genre_pair_tokens(genres)
    assert compiled_scorer.FORMAT == serialization.FORMAT


def _modules_loaded_by_predict(home: Path, prefixes: tuple[str, ...]) -> list[str]:
    code = (
        "import json, sys\n"
        "from imdb_assets.cli import main\n"
        f"assert main(['predict', '--title', {TITLE!r}, '--genres', 'Comedy']) == 0\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {prefixes!r} or m == 'imdb_assets.definitions')))\n"
    )
    env = {"IMDB_ASSETS_HOME": str(home), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_predict_path_imports_no_dagster_dbt_or_definitions(built_home: Path):
    assert _modules_loaded_by_predict(built_home, ("dagster", "dagster_dbt", "dbt")) == []


def test_the_predict_path_imports_no_scikit_learn_pandas_or_scipy(built_home: Path):
    assert _modules_loaded_by_predict(built_home, ("sklearn", "pandas", "scipy")) == []
