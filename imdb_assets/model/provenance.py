"""Which code trained a model: package version, git commit when there is one, and a hash of the source
that decides what the model is (always available, also in an image without git)."""

from __future__ import annotations

import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from imdb_assets.code_versions import MODEL_SOURCES, sources_sha256

_PACKAGE_DIR = Path(__file__).resolve().parents[1]


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
    return {"package": package_version, "git_commit": _git_commit(), "model_source_sha256": sources_sha256(*MODEL_SOURCES)}
