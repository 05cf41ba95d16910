"""Which snapshot dates the warehouse holds in full, and which of them the sensor has already handled.

Pure data handling, no Dagster: the sensor lists the raw tables' partitions, groups them by snapshot
date here, and keeps a JSON cursor mapping each handled date to the last-modified time it was handled
at. A date is new when it is not in the cursor and re-loaded when its last-modified time differs.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from imdb_assets.resources.warehouse import PartitionInfo

CURSOR_VERSION = 1


@dataclass(frozen=True)
class LoadedSnapshot:
    """One snapshot date present in every raw table."""

    snapshot_date: date
    last_modified: datetime  # the newest load of this date among the raw tables
    rows_by_table: Mapping[str, int]
    modified_by_table: Mapping[str, datetime]

    @property
    def partition_key(self) -> str:
        return self.snapshot_date.isoformat()

    @property
    def modified_key(self) -> str:
        return self.last_modified.isoformat()

    @property
    def run_key(self) -> str:
        # The load time is part of the key: a reload gets a new run, a repeated tick the same (ignored) one.
        return f"{self.partition_key}@{self.modified_key}"


def group_by_snapshot(
    partitions: Iterable[PartitionInfo], raw_tables: Iterable[str]
) -> tuple[list[LoadedSnapshot], list[date]]:
    """Snapshot dates present in all `raw_tables` (oldest first), and the dates only some tables hold yet.

    dbt joins the tables on the snapshot date, so a date is only worth building once every table has it
    (a loader that writes table by table, as BigQuery loads do, is caught mid-way otherwise).
    """
    expected = set(raw_tables)
    by_date: dict[date, dict[str, PartitionInfo]] = defaultdict(dict)
    for partition in partitions:
        if partition.table in expected:
            by_date[partition.snapshot_date][partition.table] = partition
    complete: list[LoadedSnapshot] = []
    partial: list[date] = []
    for snapshot_date in sorted(by_date):
        tables = by_date[snapshot_date]
        if set(tables) != expected:
            partial.append(snapshot_date)
            continue
        complete.append(
            LoadedSnapshot(
                snapshot_date=snapshot_date,
                last_modified=max(p.last_modified for p in tables.values()),
                rows_by_table={name: p.rows for name, p in sorted(tables.items())},
                modified_by_table={name: p.last_modified for name, p in sorted(tables.items())},
            )
        )
    return complete, partial


@dataclass(frozen=True)
class HandledSnapshots:
    """The sensor's cursor: snapshot date -> last-modified time (ISO) at which it was handled."""

    modified_by_date: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_cursor(cls, cursor: str | None) -> HandledSnapshots:
        """Parse the cursor; raise ValueError (one line) if it is not one this code wrote."""
        if not cursor:
            return cls()
        try:
            payload = json.loads(cursor)
        except json.JSONDecodeError as exc:
            raise ValueError(f"sensor cursor is not JSON ({exc.msg} at char {exc.pos})") from None
        if (
            not isinstance(payload, dict)
            or payload.get("version") != CURSOR_VERSION
            or not isinstance(payload.get("handled"), dict)
        ):
            raise ValueError(f"sensor cursor is not a version-{CURSOR_VERSION} cursor: {cursor[:80]!r}")
        return cls({str(k): str(v) for k, v in payload["handled"].items()})

    def to_cursor(self) -> str:
        return json.dumps(
            {"version": CURSOR_VERSION, "handled": dict(sorted(self.modified_by_date.items()))}, separators=(",", ":")
        )

    def is_handled(self, snapshot: LoadedSnapshot) -> bool:
        # Inequality, not "newer than": a load whose clock went backwards is still a different load.
        return self.modified_by_date.get(snapshot.partition_key) == snapshot.modified_key

    def with_handled(self, snapshots: Iterable[LoadedSnapshot]) -> HandledSnapshots:
        updated = dict(self.modified_by_date)
        updated.update({s.partition_key: s.modified_key for s in snapshots})
        return HandledSnapshots(updated)
