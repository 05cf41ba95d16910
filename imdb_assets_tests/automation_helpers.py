"""Shared helpers for the automation tests: the code location with automation wired in, snapshots, runs."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Self

from dagster import DagsterInstance, Definitions

from imdb_assets.cli import main as cli_main
from imdb_assets_tests.imdb_files import movie, write_snapshot

SENSOR_NAME = "new_warehouse_partitions"


def automation_definitions(source: str | None = None) -> Definitions:
    """The code location as imdb_assets/definitions.py assembles it (sensors, jobs and conditions included)."""
    from imdb_assets import definitions as project

    defs = project.build_definitions(source=source)
    assert any(s.name == SENSOR_NAME for s in (defs.sensors or [])), "definitions lost the warehouse sensor"
    return defs


def small_snapshot(folder: Path, version: int = 1) -> Path:
    """Three rated movies; `version` shifts the ratings so a reload of the same date has new content."""
    basics = [
        movie("tt0000001", "Heat", "Crime,Drama"),
        movie("tt0000002", "Gigli", "Comedy,Romance"),
        movie("tt0000003", "Up", "Animation"),
    ]
    ratings = [
        ["tt0000001", 7.0 + version / 10, 100 * version],
        ["tt0000002", 4.0, 50],
        ["tt0000003", 8.0, 10 * version],
    ]
    return write_snapshot(folder, basics, ratings)


def ingest(source: Path, snapshot_date: str) -> None:
    """`imdb-assets ingest` in this process (the home comes from IMDB_ASSETS_HOME)."""
    assert cli_main(["ingest", "--source", str(source), "--snapshot-date", snapshot_date]) == 0


class WriterHoldingWarehouse:
    """Another process holding DuckDB's write lock on the warehouse file (as a running dbt build does).

    A separate process is needed: within one process DuckDB shares the open database, so there is no lock.
    """

    SCRIPT = (
        "import duckdb, sys\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "con.execute('BEGIN TRANSACTION')\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
    )

    def __init__(self, warehouse: Path):
        self.warehouse = warehouse
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Self:
        self.process = subprocess.Popen(
            [sys.executable, "-c", self.SCRIPT, str(self.warehouse)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline().strip()
        if line != "locked":
            self.__exit__()
            raise RuntimeError(f"could not lock {self.warehouse} (writer said {line!r})")
        return self

    def __exit__(self, *exc_info) -> None:
        if self.process is not None:
            self.process.stdin.close()  # the writer exits when its stdin closes
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


def materialization_times(instance: DagsterInstance, asset_key: str) -> list[datetime]:
    from dagster import AssetKey

    records = instance.fetch_materializations(AssetKey(asset_key), limit=100, ascending=True).records
    return [datetime.fromtimestamp(r.timestamp, tz=timezone.utc) for r in records]
