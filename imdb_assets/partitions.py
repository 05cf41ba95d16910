"""The snapshot dates shared by the raw tables and the dbt model: one partition per loaded IMDb snapshot.

Dynamic, not a daily calendar: a calendar counts every day since its start as a partition, so a
pipeline that has loaded three snapshots shows hundreds of "missing" dates in the UI. Here a date
becomes a partition when its snapshot is loaded (`imdb-assets run`, the `new_warehouse_partitions`
sensor for loads made outside Dagster, the daily ingest schedule) or when a person adds it in the UI,
so the partitions the UI counts are the snapshots that exist. Keys stay ISO dates: the dbt window,
the warehouse's partition filters and BigQuery's date partitions read them as dates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, timezone

from dagster import DagsterInstance, DynamicPartitionsDefinition

from imdb_assets.errors import DataError

SNAPSHOT_PARTITIONS_NAME = "snapshot_dates"
snapshot_partitions = DynamicPartitionsDefinition(name=SNAPSHOT_PARTITIONS_NAME)


def today_utc() -> date:
    return datetime.now(timezone.utc).date()


def snapshot_date_of(partition_key: str) -> date:
    """The date a partition key names; one line naming the key when it is not an ISO date."""
    try:
        return date.fromisoformat(partition_key)
    except ValueError:
        raise DataError(f"partition {partition_key[:40]!r} is not a snapshot date (expected YYYY-MM-DD)") from None


def check_snapshot_date(snapshot_date: date) -> date:
    """A snapshot cannot be dated after today (UTC): IMDb publishes today's files today at the latest."""
    if snapshot_date > today_utc():
        raise DataError(f"snapshot date {snapshot_date.isoformat()} is in the future (today is {today_utc().isoformat()}, UTC)")
    return snapshot_date


def window_of(partition_keys: Sequence[str]) -> tuple[date, date]:
    """The half-open [first, last + 1 day) date window a run of these partitions covers."""
    if not partition_keys:
        raise DataError("no snapshot partition selected")
    dates = sorted(snapshot_date_of(key) for key in partition_keys)
    return dates[0], dates[-1] + timedelta(days=1)


def missing_snapshot_keys(instance: DagsterInstance, partition_keys: Iterable[str]) -> list[str]:
    """The keys not yet registered as partitions, oldest first."""
    known = set(instance.get_dynamic_partitions(SNAPSHOT_PARTITIONS_NAME))
    return sorted({key for key in partition_keys if key not in known})


def register_snapshot_dates(instance: DagsterInstance, partition_keys: Iterable[str]) -> list[str]:
    """Add the snapshot dates the instance does not know yet as partitions; returns the added keys."""
    partition_keys = list(partition_keys)
    for key in partition_keys:
        check_snapshot_date(snapshot_date_of(key))
    missing = missing_snapshot_keys(instance, partition_keys)
    if missing:
        instance.add_dynamic_partitions(SNAPSHOT_PARTITIONS_NAME, missing)
    return missing
