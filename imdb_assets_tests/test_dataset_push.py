"""A DVC push that fails (the remote cannot be created or written) fails `movies_dataset` with a clear
reason, publishes nothing and keeps the previous version current; a retry once the remote is fixed works.

Root ignores permission bits, so "unwritable" is made unconditional here: the remote's parent is a file."""

import urllib.parse
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from imdb_assets.definitions import build_definitions
from imdb_assets.dataset.repository import DatasetPushError, DatasetRepository
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.dataset_helpers import MOVIES_CSV, latest_metadata, materialize_downstream, md5_of

PUBLISH = ("movies_csv", "movies_dataset")


def resources_with_remote(home: Path, remote: Path) -> dict:
    resources = dict(build_definitions().resources)
    resources["dataset_repository"] = DatasetRepository(repo_dir=str(LocalPaths(home).data_dir), remote_url=str(remote))
    return resources


def failure_message(result) -> str:
    failures = [e for e in result.all_events if e.is_step_failure]
    assert [e.step_key for e in failures] == ["movies_dataset"]
    error = failures[0].step_failure_data.error
    while error.cause is not None and error.cls_name.startswith("Dagster"):
        error = error.cause  # down to the asset's own exception
    assert error.cls_name == "DatasetPushError"
    return error.message


def objects_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_failed_push_keeps_the_previous_version_and_a_retry_succeeds(home_copy: Path, tmp_path: Path):
    paths = LocalPaths(home_copy)
    instance = DagsterInstance.ephemeral()
    registry = paths.data_dir / (MOVIES_CSV + ".versions.jsonl")
    pointer = paths.data_dir / (MOVIES_CSV + ".dvc")
    v1 = md5_of(paths.movies_csv)
    pointer_before, registry_before, lake_before = pointer.read_text(), registry.read_text(), objects_under(paths.lake)
    # New data upstream (a rating changed), and a remote that cannot be created.
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("UPDATE main.filtered_movies_incremental SET averageRating = 9.9 WHERE tconst = (SELECT min(tconst) FROM main.filtered_movies_incremental)")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the remote's parent folder should be")
    remote = blocker / "dvc-remote"

    failed = materialize_downstream(instance, PUBLISH, resources=resources_with_remote(home_copy, remote))

    assert not failed.success
    message = failure_message(failed)
    assert "dvc push of raw/filtered_movies_incremental.csv" in message
    assert str(remote) in message and "Not a directory" in message
    assert f"nothing was published, the current version stays {v1}" in message
    # Nothing claims the new version: the working copy, its pointer, the registry, the lake and the
    # Dagster catalog all still say v1.
    assert md5_of(paths.movies_csv) == v1
    assert pointer.read_text() == pointer_before
    assert registry.read_text() == registry_before
    assert objects_under(paths.lake) == lake_before
    assert latest_metadata(instance, "movies_dataset") == {}

    # The remote is fixed: a retry of movies_dataset alone publishes the checked candidate.
    blocker.unlink()
    retried = materialize_downstream(instance, ("movies_dataset",), resources=resources_with_remote(home_copy, remote))
    assert retried.success
    v2 = latest_metadata(instance, "movies_dataset")["dvc_md5"]
    assert v2 != v1 and md5_of(paths.movies_csv) == v2
    assert md5_of(remote / "files" / "md5" / v2[:2] / v2[2:]) == v2
    repository = DatasetRepository(repo_dir=str(paths.data_dir), remote_url=str(remote))
    assert [r.md5 for r in repository.versions(MOVIES_CSV)] == [v1, v2]
    assert repository.is_on_remote(v2, MOVIES_CSV)


def test_a_first_push_that_fails_leaves_no_version_behind(tmp_path: Path):
    repository = DatasetRepository(repo_dir=str(tmp_path / "data"), remote_url=str(tmp_path / "blocker" / "remote"))
    (tmp_path / "blocker").write_text("")
    candidate = tmp_path / "candidate.csv"
    candidate.write_text("tconst,primaryTitle\ntt0000001,Heat\n")

    with pytest.raises(DatasetPushError, match=r"current version stays \(none\)"):
        repository.stage(candidate, MOVIES_CSV)

    assert not repository.tracked_path(MOVIES_CSV).exists()
    assert not repository.tracked_path(MOVIES_CSV).with_name("filtered_movies_incremental.csv.dvc").exists()
    assert repository.versions(MOVIES_CSV) == []
    assert not (tmp_path / "data" / "versions").exists()


def test_republishing_the_same_data_is_idempotent(home_copy: Path):
    paths = LocalPaths(home_copy)
    instance = DagsterInstance.ephemeral()
    registry = paths.data_dir / (MOVIES_CSV + ".versions.jsonl")
    before = (registry.read_text(), objects_under(paths.lake), objects_under(paths.dvc_remote), md5_of(paths.movies_csv))
    lake_mtimes = {p: p.stat().st_mtime_ns for p in paths.lake.rglob("*") if p.is_file()}

    assert materialize_downstream(instance, PUBLISH).success

    after = (registry.read_text(), objects_under(paths.lake), objects_under(paths.dvc_remote), md5_of(paths.movies_csv))
    assert after == before
    assert {p: p.stat().st_mtime_ns for p in paths.lake.rglob("*") if p.is_file()} == lake_mtimes  # not rewritten
    metadata = latest_metadata(instance, "movies_dataset")
    assert metadata["dvc_md5"] == md5_of(paths.movies_csv)
    lake_csv = Path(urllib.parse.unquote(urllib.parse.urlparse(metadata["lake_csv"]).path))
    assert lake_csv.is_relative_to(paths.lake) and "/snapshot_date=2026-11-01/" in metadata["lake_csv"]
    assert lake_csv.read_bytes() == paths.movies_csv.read_bytes()


@pytest.mark.parametrize(
    "md5", ["d41d8cd98f00b204e9800998ecf8427e", "01234567890123456789012345678901", "12345e67890123456789012345678901"]
)
def test_a_pointer_file_is_dvcs_and_keeps_its_md5_a_string(tmp_path: Path, md5: str):
    """All digits (a number to YAML) or digits around an `e` (a float to DVC's reader): still the md5."""
    from dvc.utils.serialize import parse_yaml

    from imdb_assets.dataset.repository import _pointer_text, pointer_md5

    pointer = tmp_path / "movies.csv.dvc"
    pointer.write_text(_pointer_text(md5, "movies.csv", 42), encoding="utf-8")
    assert pointer_md5(pointer) == md5
    assert parse_yaml(pointer.read_text(), str(pointer)) == {
        "outs": [{"md5": md5, "size": 42, "hash": "md5", "path": "movies.csv"}]
    }
    pointer.write_text("outs: [", encoding="utf-8")  # cut short: no md5 to trust
    assert pointer_md5(pointer) is None
