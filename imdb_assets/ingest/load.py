"""Ingest one snapshot: read and check IMDb's files, then replace that date in the warehouse."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from imdb_assets import settings
from imdb_assets.ingest.imdb_files import CheckedFile, check_snapshot
from imdb_assets.resources.warehouse import Warehouse


@dataclass(frozen=True)
class IngestResult:
    snapshot_date: date
    files: dict[str, CheckedFile]
    rows_loaded: dict[str, int]
    load_seconds: float  # the warehouse load of both files, in one transaction


def ingest_snapshot(source: str, snapshot_date: date, warehouse: Warehouse, download_cache: Path | None = None) -> IngestResult:
    """Check both files fully before touching the warehouse, then load them in one transaction. A URL's
    files are kept in `download_cache` (default: the home's downloads folder) for the next ingest."""
    # A date retention dropped is not loaded again: its rows are in the dbt model already (one line).
    warehouse.require_kept([snapshot_date])
    cache = download_cache or settings.local_paths().downloads
    with check_snapshot(source, cache) as snapshot:
        started = time.perf_counter()
        rows = warehouse.replace_snapshot_from(
            snapshot_date,
            snapshot.connection,
            {name: snapshot.typed_query(name) for name in snapshot.files},
            {name: checked.source_sha256 for name, checked in snapshot.files.items()},
        )
        load_seconds = time.perf_counter() - started
    return IngestResult(snapshot_date, snapshot.files, rows, round(load_seconds, 3))
