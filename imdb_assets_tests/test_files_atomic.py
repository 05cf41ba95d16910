"""imdb_assets.files: a target is whole or unchanged, gets its mode, and no temporary file outlives a failure."""

import hashlib
import os
import stat
from pathlib import Path

import pytest

from imdb_assets.files import (
    atomic_copy,
    atomic_output,
    atomic_write_bytes,
    atomic_write_text,
    file_digest,
    make_folders,
    rename_into_place,
)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def names_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


class Interrupted(Exception):
    pass


def test_a_write_that_raises_midway_leaves_the_old_file_and_no_temporary(tmp_path: Path):
    target = atomic_write_text(tmp_path / "movies.csv", "old\n")
    with pytest.raises(Interrupted), atomic_output(target) as temporary:
        temporary.write_text("half of the ne")
        raise Interrupted
    assert target.read_text() == "old\n"
    assert names_in(tmp_path) == ["movies.csv"]


def test_a_writer_that_fails_before_the_first_byte_leaves_no_target(tmp_path: Path):
    with pytest.raises(Interrupted), atomic_output(tmp_path / "new" / "movies.csv"):
        raise Interrupted
    assert names_in(tmp_path / "new") == []


def test_the_temporary_is_beside_the_target_and_hidden(tmp_path: Path):
    with atomic_output(tmp_path / "features.parquet") as temporary:
        assert temporary.parent == tmp_path and temporary.name.startswith(".features.parquet.")
        assert not temporary.name.endswith(".parquet")  # globs for the real files never see it
        temporary.write_bytes(b"PAR1")
    assert names_in(tmp_path) == ["features.parquet"]


@pytest.mark.parametrize("umask", [0o077, 0o000])
def test_files_get_the_mode_and_new_folders_0755_whatever_the_umask(tmp_path: Path, umask: int):
    previous = os.umask(umask)
    try:
        written = atomic_write_bytes(tmp_path / "a" / "b" / "registry.jsonl", b"{}\n")
        private = atomic_write_bytes(tmp_path / "a" / "secret", b"x", mode=0o600)
        copied = atomic_copy(written, tmp_path / "c" / "copy.jsonl")
    finally:
        os.umask(previous)
    assert mode_of(written) == mode_of(copied) == 0o644 and mode_of(private) == 0o600
    assert {mode_of(tmp_path / name) for name in ("a", "a/b", "c")} == {0o755}


def test_an_existing_file_is_replaced_with_the_mode(tmp_path: Path):
    target = tmp_path / "pointer.dvc"
    target.write_text("old")
    target.chmod(0o666)
    atomic_write_text(target, "new")
    assert target.read_text() == "new" and mode_of(target) == 0o644


def test_make_folders_leaves_existing_folders_as_they_are(tmp_path: Path):
    tmp_path.chmod(0o700)
    make_folders(tmp_path / "x" / "y")
    assert mode_of(tmp_path) == 0o700 and mode_of(tmp_path / "x") == mode_of(tmp_path / "x" / "y") == 0o755
    (tmp_path / "file").write_text("")
    with pytest.raises((FileExistsError, NotADirectoryError)):
        make_folders(tmp_path / "file" / "sub")


def test_a_copy_with_a_wrong_md5_leaves_the_target_untouched(tmp_path: Path):
    source = tmp_path / "cache-object"
    source.write_bytes(b"the bytes DVC has")
    target = atomic_write_text(tmp_path / "out" / "movies.csv", "published\n")
    wrong = "0" * 32
    with pytest.raises(ValueError, match=f"md5 is {hashlib.md5(b'the bytes DVC has').hexdigest()}, expected {wrong}"):
        atomic_copy(source, target, expected_md5=wrong)
    assert target.read_text() == "published\n" and names_in(target.parent) == ["movies.csv"]


def test_a_copy_with_the_right_md5_replaces_the_target(tmp_path: Path):
    source = tmp_path / "cache-object"
    source.write_bytes(b"version 2")
    target = atomic_write_text(tmp_path / "movies.csv", "version 1")
    atomic_copy(source, target, expected_md5=hashlib.md5(b"version 2").hexdigest())
    assert target.read_bytes() == b"version 2"


def test_an_exclusive_copy_never_replaces_an_existing_file(tmp_path: Path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.write_bytes(b"first")
    second.write_bytes(b"second")
    target = tmp_path / "lake" / "object.csv"
    atomic_copy(first, target, exclusive=True)
    atomic_copy(second, target, exclusive=True)
    assert target.read_bytes() == b"first" and mode_of(target) == 0o644
    assert names_in(target.parent) == ["object.csv"]


def test_rename_into_place_moves_a_finished_file_with_the_mode(tmp_path: Path):
    part = tmp_path / "title.basics.tsv.gz.part"
    part.write_bytes(b"whole")
    part.chmod(0o600)
    rename_into_place(part, tmp_path / "title.basics.tsv.gz")
    assert names_in(tmp_path) == ["title.basics.tsv.gz"] and mode_of(tmp_path / "title.basics.tsv.gz") == 0o644


@pytest.mark.parametrize("algorithm", ["md5", "sha256"])
@pytest.mark.parametrize("size", [0, 1, (1 << 20) + 7])  # empty, tiny, more than one read block
def test_the_digest_equals_hashlibs(tmp_path: Path, algorithm: str, size: int):
    data = os.urandom(size)
    path = tmp_path / "file"
    path.write_bytes(data)
    assert file_digest(path, algorithm) == hashlib.new(algorithm, data).hexdigest()
    assert file_digest(str(path)) == hashlib.md5(data).hexdigest()
