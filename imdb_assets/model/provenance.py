"""Which code trained a model: package version, git commit when there is one, and a hash of the source
that decides what the model is (always available, also in an image without git)."""

from __future__ import annotations

import hashlib
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parents[1]
# The code whose change changes the model: features (text + prepare) and the whole model package.
_MODEL_SOURCES = ("features/text.py", "features/prepare.py", "model")


def _source_sha256() -> str:
    digest = hashlib.sha256()
    for entry in _MODEL_SOURCES:
        path = _PACKAGE_DIR / entry
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.relative_to(_PACKAGE_DIR).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def _git_commit() -> str | None:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=_PACKAGE_DIR, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and len(commit) == 40 else None


@lru_cache(maxsize=1)
def code_version() -> dict:
    try:
        package_version = metadata.version("imdb_assets")
    except metadata.PackageNotFoundError:
        package_version = "unknown"
    return {"package": package_version, "git_commit": _git_commit(), "model_source_sha256": _source_sha256()}
