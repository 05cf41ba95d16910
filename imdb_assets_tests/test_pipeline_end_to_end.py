"""The whole graph through the CLI on the bundled sample, in temporary homes."""

import hashlib
import json
from pathlib import Path

import duckdb
import pandas as pd

from imdb_assets.cli import main
from imdb_assets.dataset.repository import pointer_md5
from imdb_assets.settings import LocalPaths

METRICS = {"roc_auc", "balanced_accuracy", "f1", "log_loss", "brier", "positive_rate"}
ALL_KEYS = {"raw_title_basics", "raw_title_ratings", "filtered_movies_incremental", "movies_csv", "movies_dataset", "movie_features", "enjoyment_model"}


def run_json(capsys, *args: str) -> dict:
    capsys.readouterr()
    assert main(["run", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_run_materializes_every_asset_and_reports_json(home_copy: Path, capsys):
    summary = run_json(capsys, "--snapshot-date", "2026-11-01")
    assert summary["snapshot_date"] == "2026-11-01"
    assert set(summary["assets"]) == ALL_KEYS
    paths = LocalPaths(home_copy)
    csv_rows = len(pd.read_csv(paths.movies_csv))
    assert summary["assets"]["movies_csv"]["rows"] == csv_rows > 1000
    assert summary["assets"]["filtered_movies_incremental"]["rows"] == csv_rows
    model = summary["model"]
    assert set(model["metrics"]) == METRICS | {"pr_auc"}  # PR AUC joined the reported metrics with issue 4
    assert 0.5 < model["metrics"]["roc_auc"] <= 1.0
    assert model["dataset_version"] == summary["assets"]["movies_dataset"]["data_version"]
    assert (paths.models_dir / model["version"] / "model.json").exists()


def test_dataset_md5_is_stable_for_same_data(built_home: Path, home_copy: Path, capsys):
    first = pointer_md5(LocalPaths(built_home).data_dir / "raw" / "filtered_movies_incremental.csv.dvc")
    again = run_json(capsys, "--snapshot-date", "2026-11-01")
    assert again["assets"]["movies_dataset"]["data_version"] == first


def test_csv_and_lake_hold_validated_movies_only(built_home: Path):
    paths = LocalPaths(built_home)
    movies = pd.read_csv(paths.movies_csv)
    assert movies["tconst"].is_unique
    assert movies["averageRating"].between(1, 10).all()
    assert movies["primaryTitle"].notna().all() and movies["genres"].notna().all()
    lake_files = list(paths.lake.rglob("*.csv"))
    md5 = hashlib.md5(paths.movies_csv.read_bytes()).hexdigest()
    assert [p.relative_to(paths.lake).as_posix() for p in lake_files] == [
        f"raw/filtered_movies_incremental/snapshot_date=2026-11-01/dataset_md5={md5}/filtered_movies_incremental.csv"
    ]
    assert lake_files[0].read_bytes() == paths.movies_csv.read_bytes()
    # The DVC remote holds the pushed object under its md5.
    md5 = pointer_md5(paths.data_dir / "raw" / "filtered_movies_incremental.csv.dvc")
    assert (paths.dvc_remote / "files" / "md5" / md5[:2] / md5[2:]).read_bytes() == paths.movies_csv.read_bytes()


def test_raw_tables_hold_the_whole_snapshot(built_home: Path, sample_dir: Path):
    paths = LocalPaths(built_home)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        loaded = con.execute("SELECT count(*) FROM raw.title_basics WHERE snapshot_date = DATE '2026-11-01'").fetchone()[0]
        in_file = con.execute(
            "SELECT count(*) FROM read_csv(?, delim='\t', quote='', escape='', header=true, all_varchar=true)",
            [str(sample_dir / "title.basics.tsv.gz")],
        ).fetchone()[0]
        types = set(r[0] for r in con.execute("SELECT DISTINCT titleType FROM raw.title_basics").fetchall())
    assert loaded == in_file
    assert {"movie", "tvEpisode", "short"} <= types


def test_predict_answers_for_a_known_title(built_home: Path, monkeypatch, capsys):
    monkeypatch.setenv("IMDB_ASSETS_HOME", str(built_home))
    movie = pd.read_csv(LocalPaths(built_home).movies_csv).iloc[0]
    capsys.readouterr()
    assert main(["predict", "--title", movie["primaryTitle"], "--genres", movie["genres"], "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["label"] in (0, 1)
    assert 0.0 <= answer["probability"] <= 1.0
    assert answer["model_version"] == (LocalPaths(built_home).models_dir / "latest").read_text().strip()


def test_predict_without_a_model_says_so(imdb_home: Path, capsys):
    assert main(["predict", "--title", "Heat", "--genres", "Crime"]) == 1
    err = capsys.readouterr().err.strip()
    assert "no trained model" in err and len(err.splitlines()) == 1


def test_predict_rejects_an_empty_title(built_home: Path, monkeypatch, capsys):
    monkeypatch.setenv("IMDB_ASSETS_HOME", str(built_home))
    assert main(["predict", "--title", "  ", "--genres", "Drama"]) == 1
    assert "title is empty" in capsys.readouterr().err


# (raw_snapshot_retention runs beside movies_csv: both need only the dbt model)
STEPS = ("raw_imdb_tables", "imdb_dbt_models", "movies_csv", "raw_snapshot_retention", "movies_dataset", "movie_features", "enjoyment_model")


def test_a_second_run_of_the_same_snapshot_keeps_every_version_and_prints_a_line_per_step(home_copy: Path):
    """Data versions follow content: the same snapshot again gives every asset the version it had, the
    identical retrain stores no second model, and the terminal shows one line per step, nothing else."""
    import os
    import subprocess
    import sys
    from datetime import date

    from dagster import DagsterInstance

    from imdb_assets.pipeline_run import summarize

    paths = LocalPaths(home_copy)
    with DagsterInstance.from_config(str(paths.dagster_home)) as instance:
        before = {key: info["data_version"] for key, info in summarize(date(2026, 11, 1), instance).assets.items()}
    models_before = sorted(p.name for p in paths.models_dir.iterdir() if (p / "model.json").exists())
    latest_before = (paths.models_dir / "latest").read_text()

    env = {**os.environ, "IMDB_ASSETS_HOME": str(home_copy)}
    env.pop("DAGSTER_HOME", None)
    again = subprocess.run(
        [str(Path(sys.executable).parent / "imdb-assets"), "run", "--json", "--snapshot-date", "2026-11-01"],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    after = {key: info["data_version"] for key, info in summary["assets"].items()}
    assert set(before) == ALL_KEYS and after == before
    assert sorted(p.name for p in paths.models_dir.iterdir() if (p / "model.json").exists()) == models_before
    assert len(models_before) == 1 and (paths.models_dir / "latest").read_text() == latest_before

    # Not a terminal: one finished line per step, in order, no colour codes and no warnings or dbt lines.
    lines = again.stderr.splitlines()
    assert [line.split()[1] for line in lines] == list(STEPS), again.stderr
    assert all(line.split()[0] == "ok" and line.endswith(" s") for line in lines)
    assert "\x1b" not in again.stderr and "\x1b" not in again.stdout
