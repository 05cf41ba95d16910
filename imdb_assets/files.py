"""Files that are whole or absent: written beside their target, synced, then renamed over it.

Whatever happens (an exception, a kill, a power cut), the target holds its previous bytes or the new
ones, never part of either. An exception removes the temporary file (a kill can leave one, named
`.<name>.*.tmp`, beside the target). The bytes are fsynced before the rename and the folder after it,
so a file that was renamed into place survives a crash.
Files get mode 0644 and the folders made for them 0755: mkstemp's 0600 would hide a file from a reader
running as another user, and nothing written here is meant to be writable by others.

Standard library only: every area of the package may use it.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

FILE_MODE = 0o644
FOLDER_MODE = 0o755
_BLOCK_BYTES = 1 << 20


def file_digest(path: Path | str, algorithm: Literal["md5", "sha256"] = "md5") -> str:
    """The hex digest of the file's bytes, read in blocks (a file of any size fits in memory)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def make_folders(folder: Path | str, mode: int = FOLDER_MODE) -> Path:
    """Create `folder` and its missing parents with exactly `mode`; existing folders are left as they are."""
    wanted = Path(folder)
    missing = list(itertools.takewhile(lambda f: not f.is_dir(), (wanted, *wanted.parents)))
    for created in reversed(missing):
        try:
            created.mkdir(mode)
        except FileExistsError:
            if not created.is_dir():
                raise
            continue  # another writer made it meanwhile: its mode is its own
        os.chmod(created, mode)  # mkdir's mode is cut by the umask
    return wanted


@contextlib.contextmanager
def atomic_output(path: Path | str, mode: int = FILE_MODE, exclusive: bool = False) -> Iterator[Path]:
    """A temporary path beside `path` for a writer that wants a path; renamed over `path` when the block ends.

    An exception in the block removes the temporary file and leaves `path` as it was. With `exclusive`,
    `path` is only created, never replaced: when it already exists, it is left as it is."""
    target = Path(path)
    make_folders(target.parent)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        rename_into_place(temporary, target, mode, exclusive)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path | str, data: bytes, mode: int = FILE_MODE) -> Path:
    with atomic_output(path, mode) as temporary:
        temporary.write_bytes(data)
    return Path(path)


def atomic_write_text(path: Path | str, text: str, mode: int = FILE_MODE, encoding: str = "utf-8") -> Path:
    return atomic_write_bytes(path, text.encode(encoding), mode)


def atomic_copy(
    source: Path | str,
    target: Path | str,
    expected_md5: str | None = None,
    mode: int = FILE_MODE,
    exclusive: bool = False,
) -> Path:
    """Copy `source` to `target` atomically; with `expected_md5`, refuse a copy whose bytes differ."""
    with atomic_output(target, mode, exclusive) as temporary:
        shutil.copyfile(source, temporary)
        if expected_md5 is not None:
            actual = file_digest(temporary, "md5")
            if actual != expected_md5:
                raise ValueError(f"{source}: md5 is {actual}, expected {expected_md5}; refusing a corrupted copy")
    return Path(target)


def rename_into_place(source: Path | str, target: Path | str, mode: int = FILE_MODE, exclusive: bool = False) -> None:
    """Make the finished file `source` (in `target`'s folder) the file `target`, durably, with `mode`."""
    source, target = Path(source), Path(target)
    _sync_file(source)
    os.chmod(source, mode)
    if exclusive:
        _link_unless_present(source, target)
    else:
        os.replace(source, target)
    _sync_folder(target.parent)


def _link_unless_present(source: Path, target: Path) -> None:
    try:
        os.link(source, target)  # a hard link creates the name only if it does not exist yet: never overwrites
    except FileExistsError:
        pass
    except OSError:
        # Filesystems without hard links: rename (atomic, but only guarded by this check).
        if not target.exists():
            os.replace(source, target)
    source.unlink(missing_ok=True)


def _sync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_folder(folder: Path) -> None:
    """Put the rename itself on disk (it is an entry of the folder)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno != errno.EINVAL:  # some filesystems cannot sync a folder; the rename is all they offer
            raise
    finally:
        os.close(fd)
