"""The data lake: immutable copies of published files, addressed by key (`raw/<table>/snapshot_date=.../file`).

`LocalFolderLake` is the local implementation; production uses a GCS bucket behind the same interface.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from dagster import ConfigurableResource


def file_md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class DataLake(ConfigurableResource):
    def put_file(self, local_path: Path, key: str) -> str:
        """Copy a file to `key` atomically (readers never see a partial object); return its URI."""
        raise NotImplementedError

    def uri(self, key: str) -> str:
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        raise NotImplementedError


class LocalFolderLake(DataLake):
    root: str

    def _path(self, key: str) -> Path:
        root = Path(self.root).resolve()
        path = (root / key).resolve()
        if root not in path.parents:
            raise ValueError(f"lake key {key!r} escapes the lake root {root}")
        return path

    def put_file(self, local_path: Path, key: str) -> str:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() and file_md5(target) == file_md5(local_path):
            return self.uri(key)  # idempotent rerun: the same bytes are already there
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        os.close(fd)
        try:
            shutil.copyfile(local_path, tmp_name)
            os.replace(tmp_name, target)
        finally:
            Path(tmp_name).unlink(missing_ok=True)
        return self.uri(key)

    def uri(self, key: str) -> str:
        return self._path(key).as_uri()

    def exists(self, key: str) -> bool:
        return self._path(key).exists()
