"""Dagster code versions that follow the code: a short hash of the source files that decide an asset's content.

An asset's code version changes exactly when one of its deciding files changes, so the UI marks it (and
what is below it) stale after an edit and not after a restart. The hash covers file contents only (no
timestamps, no git), so an image built from the same tree gives the same versions.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent

# Per asset, the package paths (files or folders, relative to imdb_assets/) whose source decides its content.
RAW_TABLES_SOURCES = ("ingest/load.py", "ingest/tsv_reader.py", "contracts/duckdb_scan.py", "ingest/imdb_files.py", "contracts/raw_imdb.py", "contracts/sql_checks.py")
MOVIES_CSV_SOURCES = ("dataset/validate.py", "dataset/checks.py", "dataset/profile.py", "text_cleaning.py", "contracts/movies.py", "contracts/checks.py", "contracts/duckdb_scan.py", "contracts/sql_checks.py")
MOVIES_DATASET_SOURCES = ("dataset/assets.py", "dataset/registry.py", "dataset/lineage.py", "dataset/profile.py")
FEATURES_SOURCES = ("features", "text_cleaning.py", "contracts/features.py", "contracts/vocabulary.py")
MODEL_SOURCES = ("text_cleaning.py", "features/prepare.py", "model")  # model/ holds the compiled scorer, which decides promotion too
MONITORING_SOURCES = ("monitoring", "serving/prediction_log.py", "serving/prediction_log_store.py")


@lru_cache(maxsize=None)
def source_code_version(*paths: str) -> str:
    """16 hex digits of `sources_sha256`: short enough for the UI, long enough never to collide here."""
    return sources_sha256(*paths)[:16]


@lru_cache(maxsize=None)
def sources_sha256(*paths: str) -> str:
    """sha256 (hex) over the named files (folders: every `.py` under them, in sorted order)."""
    digest = hashlib.sha256()
    for entry in paths:
        path = PACKAGE_DIR / entry
        if not path.exists():
            raise FileNotFoundError(f"code version source {entry} is not in {PACKAGE_DIR}")
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()
