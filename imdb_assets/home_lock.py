"""One writer per home: `imdb-assets run` and `ingest` hold an exclusive lock on `IMDB_ASSETS_HOME/.lock`.

Two runs on one home would race on the warehouse file, the published CSV and the model pointers, and
each would report what the other made. The lock is the kernel's (`flock`), so it is released when its
process ends, however it ends: a killed run never leaves a home locked.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = ".lock"


class HomeBusyError(RuntimeError):
    """Another process holds the home's lock."""


def _holder(handle) -> str:
    handle.seek(0)
    text = handle.read().strip()
    return text or "another process"


@contextmanager
def home_lock(home: Path, what: str) -> Iterator[None]:
    """Hold the home's lock for the block, or raise HomeBusyError at once naming who holds it."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    with os.fdopen(fd, "r+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise HomeBusyError(
                f"{_holder(handle)} is using {home}; wait for it to finish, or use another IMDB_ASSETS_HOME"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"imdb-assets {what} (pid {os.getpid()})\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
