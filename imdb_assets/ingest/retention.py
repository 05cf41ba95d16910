"""Raw snapshot retention: which snapshot dates the raw tables keep, and which they may drop.

Pure rules, no Dagster. The raw tables keep the newest K snapshot dates (`IMDB_ASSETS_RAW_SNAPSHOTS_KEPT`,
default 7, or the warehouse resource's `raw_snapshots_kept`). An older date is dropped only once the dbt
model has absorbed it (its partition was built from the date's latest load): the incremental model
merges each date into `filtered_movies_incremental` and never reads a date again, so the table is what
keeping every date would give. A date not yet built is held back, however old; the newest date is
always kept (K >= 1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class RetentionPlan:
    kept: list[date]  # the newest K dates, newest first
    drop: list[date]  # older dates the dbt model has absorbed, oldest first
    waiting_for_dbt: list[date]  # older dates whose dbt partition is not built from their latest load


def plan_retention(loaded: Iterable[date], absorbed: Iterable[date], snapshots_kept: int) -> RetentionPlan:
    """Split the loaded snapshot dates into kept, droppable and held back."""
    if snapshots_kept < 1:
        raise ValueError(f"raw snapshots kept must be at least 1, not {snapshots_kept}")
    newest_first = sorted(set(loaded), reverse=True)
    kept, older = newest_first[:snapshots_kept], sorted(newest_first[snapshots_kept:])
    absorbed = set(absorbed)
    return RetentionPlan(
        kept=kept,
        drop=[d for d in older if d in absorbed],
        waiting_for_dbt=[d for d in older if d not in absorbed],
    )


def rows_text(rows: int) -> str:
    """11_800_000 -> '11.8 M', 4_487 -> '4,487': row counts as a person reads them."""
    if rows >= 1_000_000:
        return f"{rows / 1_000_000:.1f} M"
    return f"{rows:,}"
