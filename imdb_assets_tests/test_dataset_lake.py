"""The local data lake: partition-style keys, write-once objects, atomic and idempotent writes."""

from pathlib import Path

import pytest

from imdb_assets.dataset.assets import lake_key
from imdb_assets.resources.lake import LakeConflictError, LocalFolderLake, file_md5


@pytest.fixture
def lake(tmp_path: Path) -> LocalFolderLake:
    return LocalFolderLake(root=str(tmp_path / "lake"))


def a_file(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_keys_are_partitioned_by_snapshot_date_and_content(tmp_path: Path):
    key = lake_key("2026-11-01", "0" * 32)
    assert key == (
        "raw/filtered_movies_incremental/snapshot_date=2026-11-01/dataset_md5=" + "0" * 32 + "/filtered_movies_incremental.csv"
    )
    assert lake_key("2026-11-01", "0" * 32, "parquet").endswith("/filtered_movies_incremental.parquet")


def test_put_file_writes_once_and_is_idempotent(lake: LocalFolderLake, tmp_path: Path):
    source = a_file(tmp_path / "src", "movies.csv", "tconst\ntt0000001\n")
    key = "raw/t/snapshot_date=2026-11-01/movies.csv"
    uri = lake.put_file(source, key)
    target = tmp_path / "lake" / key
    assert uri == f"file://{target}" and target.read_bytes() == source.read_bytes()
    written_at = target.stat().st_mtime_ns

    assert lake.put_file(source, key) == uri  # the same bytes again: nothing is written
    assert target.stat().st_mtime_ns == written_at
    assert lake.object_md5(key) == file_md5(source) and lake.exists(key)
    # No temporary files are left beside the object.
    assert [p.name for p in target.parent.iterdir()] == ["movies.csv"]


def test_an_existing_object_is_never_overwritten(lake: LocalFolderLake, tmp_path: Path):
    key = "raw/t/snapshot_date=2026-11-01/movies.csv"
    lake.put_file(a_file(tmp_path / "a", "movies.csv", "first\n"), key)
    with pytest.raises(LakeConflictError, match="immutable"):
        lake.put_file(a_file(tmp_path / "b", "movies.csv", "second\n"), key)
    assert (tmp_path / "lake" / key).read_text() == "first\n"


def test_get_file_copies_an_object_back(lake: LocalFolderLake, tmp_path: Path):
    key = "raw/t/snapshot_date=2026-11-01/movies.csv"
    lake.put_file(a_file(tmp_path / "a", "movies.csv", "rows\n"), key)
    out = lake.get_file(key, tmp_path / "out" / "copy.csv")
    assert out.read_text() == "rows\n"
    with pytest.raises(FileNotFoundError, match="no such object"):
        lake.get_file("raw/t/snapshot_date=2026-11-02/movies.csv", tmp_path / "out" / "none.csv")


@pytest.mark.parametrize("key", ["../outside.csv", "/abs/path.csv", "raw/../../x.csv", "", "raw//x.csv"])
def test_keys_cannot_escape_the_lake(lake: LocalFolderLake, tmp_path: Path, key: str):
    with pytest.raises(ValueError, match="lake key"):
        lake.put_file(a_file(tmp_path / "a", "x.csv", "x\n"), key)
