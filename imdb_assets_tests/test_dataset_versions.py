"""Versioned datasets: two snapshots give two DVC versions; any of them comes back byte for byte (from the
cache, or the remote once the cache is gone), and a retrain on the old one reproduces its metrics."""

import hashlib
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from imdb_assets.env_vars import environment_variables
from imdb_assets.instance import local_instance
from imdb_assets.pipeline_run import summarize
from imdb_assets.settings import LocalPaths
from imdb_assets.synth.generator import write_next_day, write_snapshot
from imdb_assets_tests.dataset_helpers import (
    MOVIES_CSV,
    cli,
    cli_json,
    fingerprint,
    latest_metadata,
    materialize_downstream,
    materialize_raw,
    md5_of,
)

pytestmark = pytest.mark.slow  # the module fixture ingests, publishes and trains twice (~60 s)

D1, D2 = "2026-11-01", "2026-11-02"
# Every drift above zero warns: shows the drift checks report (WARN) without stopping anything.
WARN_ON_ANY_DRIFT = {
    "ops": {"movies_csv": {"config": {"max_label_share_change": 0.0, "max_genre_share_change": 0.0}}}
}


@dataclass
class TwoVersions:
    home: Path
    v1: str
    v2: str
    v1_csv: bytes  # the tracked CSV as it was when v1 was current
    v1_metrics: dict
    v1_source_sha256: dict[str, str]
    second_run_checks: dict  # check name -> evaluation of the run that published v2


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory) -> TwoVersions:
    """A home where snapshot D1 then D2 were ingested and published (v1, v2), with a model on each."""
    root = tmp_path_factory.mktemp("two-versions")
    home = root / "home"
    with environment_variables({"IMDB_ASSETS_HOME": str(home), "DAGSTER_HOME": None, "IMDB_ASSETS_SOURCE": None}):
        write_snapshot(root / "d1", titles=20000, seed=11)
        write_next_day(root / "d1", root / "d2", change_rate=0.3, seed=12)
        paths = LocalPaths(home)
        instance = local_instance(paths.dagster_home)

        materialize_raw(root / "d1", D1, instance)
        assert materialize_downstream(instance).success
        v1 = latest_metadata(instance, "movies_dataset")["dvc_md5"]
        v1_csv = paths.movies_csv.read_bytes()
        # What `imdb-assets run --json` reports, whatever metrics the model records.
        v1_metrics = summarize(date.fromisoformat(D1), instance).model["metrics"]

        materialize_raw(root / "d2", D2, instance)
        second = materialize_downstream(instance, run_config=WARN_ON_ANY_DRIFT)
        assert second.success
        v2 = latest_metadata(instance, "movies_dataset")["dvc_md5"]
        checks = {e.check_name: e for e in second.get_asset_check_evaluations()}
        sources = {name: _sha256(root / "d1" / name) for name in ("title.basics.tsv.gz", "title.ratings.tsv.gz")}
        instance.dispose()
    return TwoVersions(home, v1, v2, v1_csv, v1_metrics, sources, checks)


@pytest.fixture
def versions_copy(two_versions: TwoVersions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the two-version home, as IMDB_ASSETS_HOME."""
    home = tmp_path / "home"
    shutil.copytree(two_versions.home, home, symlinks=True)
    monkeypatch.setenv("IMDB_ASSETS_HOME", str(home))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return home


def test_dataset_list_shows_every_version_oldest_first(two_versions: TwoVersions, monkeypatch, capsys):
    monkeypatch.setenv("IMDB_ASSETS_HOME", str(two_versions.home))
    listed = cli_json(capsys, "dataset", "list", "--json")
    assert [v["md5"] for v in listed] == [two_versions.v1, two_versions.v2]
    assert [v["snapshot_date"] for v in listed] == [D1, D2]
    assert listed[0]["snapshot_dates"] == [D1] and listed[1]["snapshot_dates"] == [D1, D2]
    assert 0 < listed[0]["rows"] < listed[1]["rows"]  # the incremental table only grows here
    assert listed[0]["rows"] == len(two_versions.v1_csv.decode().splitlines()) - 1
    assert listed[0]["size_bytes"] == len(two_versions.v1_csv)

    code, out, _ = cli(capsys, "dataset", "list")
    assert code == 0
    lines = out.splitlines()
    assert (
        lines[1].startswith(two_versions.v1) and lines[2].startswith(two_versions.v2) and lines[2].endswith("(latest)")
    )


def test_second_snapshot_gets_a_drift_table_and_warnings_do_not_block(two_versions: TwoVersions):
    checks = two_versions.second_run_checks
    genre_mix = checks["genre_mix_vs_previous"]
    meta = {k: v.value for k, v in genre_mix.metadata.items()}
    assert meta["previous_version"] == two_versions.v1
    table = meta["drift"]
    assert table.splitlines()[0] == "| genre share | previous | current | change |"
    assert "label share (rating >= 5)" in table and "| Drama |" in table
    # With every drift warning (thresholds 0 in this run), the checks fail as WARN, and v2 was still published.
    assert not genre_mix.passed and genre_mix.severity.value == "WARN"
    assert not checks["label_share_vs_previous"].passed and checks["label_share_vs_previous"].severity.value == "WARN"
    assert checks["row_count_vs_previous"].passed and checks["null_and_duplicate_rates"].passed
    assert two_versions.v2 != two_versions.v1


def test_checkout_returns_the_old_version_byte_identical(
    two_versions: TwoVersions, monkeypatch, tmp_path: Path, capsys
):
    monkeypatch.setenv("IMDB_ASSETS_HOME", str(two_versions.home))
    out = tmp_path / "v1.csv"
    answer = cli_json(capsys, "dataset", "checkout", two_versions.v1[:8], "--out", str(out), "--json")
    assert answer["md5"] == two_versions.v1 == md5_of(out)
    assert out.read_bytes() == two_versions.v1_csv
    # The working copy is still the latest version: checkout never moves it.
    assert md5_of(LocalPaths(two_versions.home).movies_csv) == two_versions.v2


def test_checkout_fetches_from_the_remote_when_the_cache_is_gone(
    versions_copy: Path, tmp_path: Path, capsys, two_versions: TwoVersions
):
    paths = LocalPaths(versions_copy)
    shutil.rmtree(paths.data_dir / ".dvc" / "cache")
    out = tmp_path / "restored" / "v1.csv"
    code, stdout, err = cli(capsys, "dataset", "checkout", two_versions.v1, "--out", str(out))
    assert code == 0, err
    assert out.read_bytes() == two_versions.v1_csv
    assert "md5 verified" in stdout
    # It came from the remote into the cache, through DVC.
    assert (paths.data_dir / ".dvc" / "cache" / "files" / "md5" / two_versions.v1[:2] / two_versions.v1[2:]).exists()


def test_checkout_of_an_unknown_version_says_so_in_one_line(
    two_versions: TwoVersions, monkeypatch, tmp_path: Path, capsys
):
    monkeypatch.setenv("IMDB_ASSETS_HOME", str(two_versions.home))
    code, _, err = cli(
        capsys, "dataset", "checkout", "0123456789abcdef0123456789abcdef", "--out", str(tmp_path / "x.csv")
    )
    assert code == 1 and "0123456789abcdef0123456789abcdef" in err and len(err.strip().splitlines()) == 1
    assert "neither in the DVC cache nor on the remote" in err
    assert not (tmp_path / "x.csv").exists()
    assert not list((two_versions.home / "data" / "versions").rglob("0123456789abcdef*"))
    code, _, err = cli(capsys, "dataset", "checkout", "abc", "--out", str(tmp_path / "x.csv"))
    assert code == 1 and "at least 6 hex digits" in err


def test_retrain_on_the_old_version_reproduces_its_metrics(versions_copy: Path, two_versions: TwoVersions, capsys):
    before = fingerprint(versions_copy)
    summary = cli_json(capsys, "run", "--dataset-version", two_versions.v1[:10], "--json")

    assert summary["snapshot_date"] == D1
    assert summary["model"]["dataset_version"] == two_versions.v1
    assert summary["model"]["metrics"] and summary["model"]["metrics"] == two_versions.v1_metrics
    # The lineage, end to end: model -> dataset md5 -> snapshot dates -> source files.
    dataset = summary["dataset"]
    assert dataset["md5"] == two_versions.v1 and dataset["reused_version"] is True
    assert dataset["snapshot_dates"] == [D1]
    assert {f: info["sha256"] for f, info in dataset["source_files"][D1].items()} == two_versions.v1_source_sha256
    assert dataset["remote"].endswith(f"files/md5/{two_versions.v1[:2]}/{two_versions.v1[2:]}")
    assert summary["assets"]["movies_dataset"]["data_version"] == two_versions.v1
    # Nothing was ingested or published: warehouse, DVC repository, remote and lake are as they were.
    after = fingerprint(versions_copy)
    for part in ("raw", "filtered", "data", "dvc_remote", "lake"):
        assert after[part] == before[part], part
    assert after["models"] != before["models"]  # a new model was trained


def test_run_with_dataset_version_rejects_a_source(versions_copy: Path, capsys, two_versions: TwoVersions):
    code, _, err = cli(capsys, "run", "--dataset-version", two_versions.v1, "--snapshot-date", D2)
    assert code == 1 and "--dataset-version" in err


def test_every_version_is_on_the_remote_and_in_the_lake(two_versions: TwoVersions):
    paths = LocalPaths(two_versions.home)
    for md5, snapshot_date in ((two_versions.v1, D1), (two_versions.v2, D2)):
        remote_object = paths.dvc_remote / "files" / "md5" / md5[:2] / md5[2:]
        assert md5_of(remote_object) == md5
        lake_csv = (
            paths.lake
            / f"raw/filtered_movies_incremental/snapshot_date={snapshot_date}/dataset_md5={md5}/filtered_movies_incremental.csv"
        )
        assert md5_of(lake_csv) == md5
        assert lake_csv.with_suffix(".parquet").exists()
        pointer = paths.data_dir / "versions" / "filtered_movies_incremental" / f"{md5}.csv.dvc"
        assert md5 in pointer.read_text()
    assert (paths.data_dir / (MOVIES_CSV + ".dvc")).read_text().count(two_versions.v2) == 1
