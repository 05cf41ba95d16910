"""Temporary work folders under the home (`IMDB_ASSETS_HOME/tmp/`), cleaned even after a kill.

The system temp folder keeps what a killed process leaves there forever; a scratch folder is named
after the process that made it (`<prefix><pid>-<random>`), so the next start removes the folders of
processes that are gone, and never one a live process is using.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

from imdb_assets.settings import local_paths


def scratch_root() -> Path:
    return local_paths().home / "tmp"


@contextmanager
def scratch_dir(prefix: str) -> Iterator[str]:
    """A private temporary folder under the home, removed when the block ends."""
    root = scratch_root()
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{prefix}{os.getpid()}-", dir=root) as folder:
        yield folder


def _owner_pid(name: str) -> int | None:
    owner = name.rsplit("-", 2)
    try:
        return int(owner[-2]) if len(owner) >= 2 else None
    except ValueError:
        return None


def remove_stale_scratch() -> list[str]:
    """Remove the scratch folders whose process has ended; returns their names."""
    root = scratch_root()
    if not root.is_dir():
        return []
    removed = []
    for entry in root.iterdir():
        pid = _owner_pid(entry.name)
        if pid is not None and pid != os.getpid() and psutil.pid_exists(pid):
            continue
        shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
        removed.append(entry.name)
    return removed
