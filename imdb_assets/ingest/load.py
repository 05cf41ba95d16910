"""Ingest one snapshot: stage and validate IMDb's files, then replace that date in the warehouse."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from imdb_assets.ingest.imdb_files import StagedFile, stage_snapshot
from imdb_assets.resources.warehouse import Warehouse


@dataclass(frozen=True)
class IngestResult:
    snapshot_date: date
    staged: dict[str, StagedFile]
    rows_loaded: dict[str, int]


def ingest_snapshot(source: str, snapshot_date: date, warehouse: Warehouse) -> IngestResult:
    """Validate both files fully before touching the warehouse, then load them in one transaction."""
    with tempfile.TemporaryDirectory(prefix="imdb-ingest-") as work_dir:
        staged = stage_snapshot(source, Path(work_dir))
        rows = warehouse.replace_snapshot(
            snapshot_date,
            {name: s.parquet_path for name, s in staged.items()},
            {name: s.source_sha256 for name, s in staged.items()},
        )
    return IngestResult(snapshot_date, staged, rows)
