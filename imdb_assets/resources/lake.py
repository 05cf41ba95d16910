"""The data lake: immutable copies of published files, addressed by key (`raw/<table>/snapshot_date=.../file`).

An object is written once: publishing the same bytes to the same key again is a no-op (reruns are
idempotent), publishing different bytes to an existing key is refused (nothing is ever overwritten).
`LocalFolderLake` is the local implementation; production uses a GCS bucket behind the same interface,
which only has to provide the four primitives below `put_file`.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from imdb_assets.files import atomic_copy, file_digest


def file_md5(path: Path) -> str:
    """The md5 by which the lake (and DVC, and GCS) tells one file's bytes from another's."""
    return file_digest(path, "md5")


class LakeConflictError(RuntimeError):
    """A key already holds different bytes: lake objects are immutable."""


def check_key(key: str) -> str:
    """Keys are relative POSIX paths without `..`, the same for a folder and a bucket."""
    parts = key.split("/")
    if not key or any(part in ("..", ".", "") for part in parts) or "\\" in key:
        raise ValueError(f"lake key {key!r} must be a relative path like raw/<table>/snapshot_date=YYYY-MM-DD/<file>")
    return key


class DataLake(ConfigurableResource):
    """Write-once object storage. Implementations provide `object_md5`, `_write_new`, `get_file` and `uri`."""

    def put_file(self, local_path: Path, key: str) -> str:
        """Publish `local_path` at `key` atomically (readers never see a partial object); return its URI.

        Same bytes already there: nothing is written. Different bytes there: LakeConflictError."""
        check_key(key)
        wanted = file_md5(local_path)
        existing = self.object_md5(key)
        if existing is None:
            self._write_new(Path(local_path), key)
            existing = self.object_md5(key)  # another writer may have won the race: compare again
        if existing != wanted:
            raise LakeConflictError(
                f"{self.uri(key)} already holds other bytes (md5 {existing}, not {wanted}); lake objects are immutable"
            )
        return self.uri(key)

    def exists(self, key: str) -> bool:
        return self.object_md5(check_key(key)) is not None

    def object_md5(self, key: str) -> str | None:
        """The md5 (hex) of the object at `key`, or None if there is none."""
        raise NotImplementedError

    def _write_new(self, local_path: Path, key: str) -> None:
        """Create the object at `key` from `local_path`, atomically, unless it already exists."""
        raise NotImplementedError

    def get_file(self, key: str, local_path: Path) -> Path:
        """Copy the object at `key` to `local_path` (atomically) and return the path."""
        raise NotImplementedError

    def uri(self, key: str) -> str:
        raise NotImplementedError


class LocalFolderLake(DataLake):
    """A folder on this machine; URIs are file:// URLs."""

    root: str = Field(description="Folder that holds the lake's objects.")

    def _path(self, key: str) -> Path:
        root = Path(self.root).resolve()
        path = (root / check_key(key)).resolve()
        if root not in path.parents:
            raise ValueError(f"lake key {key!r} escapes the lake root {root}")
        return path

    def object_md5(self, key: str) -> str | None:
        path = self._path(key)
        return file_md5(path) if path.is_file() else None

    def _write_new(self, local_path: Path, key: str) -> None:
        atomic_copy(local_path, self._path(key), exclusive=True)  # an object that exists meanwhile is kept

    def get_file(self, key: str, local_path: Path) -> Path:
        source = self._path(key)
        if not source.is_file():
            raise FileNotFoundError(f"{self.uri(key)}: no such object in the lake")
        return atomic_copy(source, local_path)

    def uri(self, key: str) -> str:
        # Like Path.as_uri(), but keeps the partition's "=" readable (file:///…/snapshot_date=2026-11-01/…).
        return "file://" + urllib.parse.quote(self._path(key).as_posix(), safe="/=")
