"""The handle one dataset version is passed between assets as: plain data, no Dagster or DVC."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetVersion:
    """One version of a dataset file tracked by DVC (what downstream assets receive)."""

    md5: str
    path: str  # relative to the DVC repository
    size: int
    remote_url: str
    rows: int | None = None
    snapshot_date: str = ""  # the newest snapshot the version covers
