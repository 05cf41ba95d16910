"""A folder of versioned model artifacts with a `latest` pointer (pure Python, no Dagster).

Each version is a folder holding `model.joblib` and `model.json` (metrics, params, dataset version,
sha256 of the model file). Versions are written to a temporary folder and renamed, so a crash never
leaves a half-written model, and a model file is only unpickled after its checksum matches the record.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import joblib

from imdb_assets.errors import NotReadyError

MODEL_FILE = "model.joblib"
RECORD_FILE = "model.json"
LATEST_POINTER = "latest"


class CorruptModelError(RuntimeError):
    """A model file does not match the checksum recorded when it was saved."""


@dataclass(frozen=True)
class LoadedModel:
    version: str
    pipeline: Any
    record: dict


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_text_atomically(path: Path, text: str) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp_name, path)


class LocalModelStore:
    def __init__(self, root: Path | str):
        self.root = Path(root)

    def save(self, pipeline: Any, record: dict) -> str:
        """Store a fitted pipeline with its record; return the new version and point `latest` at it."""
        self.root.mkdir(parents=True, exist_ok=True)
        trained_at = datetime.now(timezone.utc)
        staging = Path(tempfile.mkdtemp(dir=self.root, prefix=".staging-"))
        try:
            joblib.dump(pipeline, staging / MODEL_FILE)
            sha256 = _sha256(staging / MODEL_FILE)
            version = f"{trained_at:%Y%m%dT%H%M%S}-{sha256[:8]}"
            full_record = {**record, "version": version, "trained_at": trained_at.isoformat(), "sha256": sha256}
            (staging / RECORD_FILE).write_text(json.dumps(full_record, indent=2, sort_keys=True, default=str))
            target = self.root / version
            if target.exists():  # same second, same bytes: already stored
                shutil.rmtree(staging)
            else:
                os.replace(staging, target)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        _write_text_atomically(self.root / LATEST_POINTER, version)
        return version

    def versions(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and (p / RECORD_FILE).exists() and not p.name.startswith("."))

    def latest_version(self) -> str:
        pointer = self.root / LATEST_POINTER
        if not pointer.exists():
            raise NotReadyError(f"no trained model in {self.root}: materialize the graph first (`make run` or `imdb-assets run`)")
        return pointer.read_text().strip()

    def record(self, version: str) -> dict:
        path = self.root / version / RECORD_FILE
        if not path.exists():
            raise NotReadyError(f"model version {version} not found in {self.root}")
        return json.loads(path.read_text())

    def load(self, version: str | None = None) -> LoadedModel:
        version = version or self.latest_version()
        record = self.record(version)
        model_path = self.root / version / MODEL_FILE
        actual = _sha256(model_path) if model_path.exists() else "missing"
        if actual != record.get("sha256"):
            raise CorruptModelError(f"{model_path}: sha256 {actual[:12]} does not match the recorded {str(record.get('sha256'))[:12]}; refusing to load it")
        return LoadedModel(version, joblib.load(model_path), record)
