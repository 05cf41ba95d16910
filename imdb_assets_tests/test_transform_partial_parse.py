"""dbt keeps its parse from one partition to the next: the window reaches the model without `--vars`."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest
from dagster import DagsterInstance

from imdb_assets.settings import LocalPaths
from imdb_assets.transform.partial_parse import PARTIAL_PARSE_FILE, PartialParseStore
from imdb_assets.transform.project import dbt_resource
from imdb_assets.transform.window import MAX_DATE_ENV, MIN_DATE_ENV, SnapshotWindow, window_in_environment
from imdb_assets_tests.imdb_files import first_snapshot, second_snapshot
from imdb_assets_tests.materialize_helpers import materialize_snapshot
from imdb_assets_tests.transform_helpers import MODEL, compiled_model_sql, dbt_event_names, dbt_invocation_dirs

D1, D2 = "2026-11-01", "2026-11-02"


@pytest.mark.slow  # two partitions through ingest and dbt, ~20-40 s on 2 busy cores
def test_the_next_partition_reuses_dbts_parse_and_dbt_leaves_the_warehouse_checkpointed(imdb_home: Path, tmp_path: Path):
    instance = DagsterInstance.ephemeral()
    materialize_snapshot(first_snapshot(tmp_path / "d1"), D1, instance)
    second = materialize_snapshot(second_snapshot(tmp_path / "d2"), D2, instance)

    [invocation] = dbt_invocation_dirs(second.run_id)
    events = dbt_event_names(invocation)
    # A new window used to invalidate the whole saved parse ("UnableToPartialParse": vars changed).
    assert "UnableToPartialParse" not in events
    assert "PartialParsingSkipParsing" in events
    # ... and the window still reached the model, at run time: the second day only.
    sql = compiled_model_sql(invocation)
    assert "cast('2026-11-02' as date)" in sql and "cast('2026-11-03' as date)" in sql
    assert "cast('2026-11-01' as date)" not in sql
    assert "row_number()" not in sql  # a one-day window has nothing to de-duplicate
    # dbt's process skips Python's teardown (transform/dbt_main.py) but still runs dbt-duckdb's exit
    # handler, which closes the warehouse: DuckDB checkpoints then, and leaves no write-ahead log behind.
    warehouse = LocalPaths(imdb_home).warehouse
    assert warehouse.exists() and not warehouse.with_name(warehouse.name + ".wal").exists()


def _compile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str):
    """`dbt compile` of the model against an empty warehouse in tmp_path, as dagster-dbt runs dbt."""
    monkeypatch.setenv("IMDB_ASSETS_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    target = tmp_path / "target"
    invocation = dbt_resource().cli(["compile", "--select", MODEL, *args], target_path=target, raise_on_error=False)
    invocation.wait()
    return invocation, target


def test_a_window_that_is_not_a_date_stops_dbt_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(MIN_DATE_ENV, "2026-11-01' or true --")
    monkeypatch.setenv(MAX_DATE_ENV, "2026-11-02")
    invocation, target = _compile(tmp_path, monkeypatch)

    assert not invocation.is_successful()
    assert "snapshot window: min_date=2026-11-01' or true -- is not a date (YYYY-MM-DD)" in str(invocation.get_error())
    assert not list((target / "compiled").rglob(f"{MODEL}.sql"))  # nothing was written into SQL


def test_vars_by_hand_still_set_the_window(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`dbt build --vars ...` in dbt_project/ works as before when Dagster's variables are absent."""
    monkeypatch.delenv(MIN_DATE_ENV, raising=False)
    monkeypatch.delenv(MAX_DATE_ENV, raising=False)
    invocation, target = _compile(tmp_path, monkeypatch, "--vars", json.dumps({"min_date": D1, "max_date": "2026-11-03"}))

    assert invocation.is_successful(), invocation.get_error()
    sql = compiled_model_sql(target)
    assert "cast('2026-11-01' as date)" in sql and "cast('2026-11-03' as date)" in sql
    assert "row_number()" in sql  # two snapshots: each title keeps its newest row


def test_the_window_is_in_the_environment_only_while_dbt_starts(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(MAX_DATE_ENV, "set-by-someone-else")
    monkeypatch.delenv(MIN_DATE_ENV, raising=False)
    window = SnapshotWindow(date(2026, 11, 1), date(2026, 11, 4))

    with window_in_environment(window):
        assert (os.environ[MIN_DATE_ENV], os.environ[MAX_DATE_ENV]) == ("2026-11-01", "2026-11-04")
    assert MIN_DATE_ENV not in os.environ
    assert os.environ[MAX_DATE_ENV] == "set-by-someone-else"
    assert str(window) == "[2026-11-01, 2026-11-04)"
    with pytest.raises(ValueError, match=r"\[2026-11-02, 2026-11-02\) is empty"):
        SnapshotWindow(date(2026, 11, 2), date(2026, 11, 2))


def test_each_warehouse_keeps_its_own_saved_parse(tmp_path: Path):
    target = tmp_path / "target"
    home_a = PartialParseStore(target, "local", {"IMDB_ASSETS_DUCKDB_PATH": "/a/imdb.duckdb"})
    home_b = PartialParseStore(target, "local", {"IMDB_ASSETS_DUCKDB_PATH": "/b/imdb.duckdb"})
    assert home_a.path != home_b.path

    first, second = tmp_path / "run-1", tmp_path / "run-2"
    assert home_a.seed(first) is False  # nothing saved yet: dbt parses fully
    assert home_a.keep(first) is False  # dbt wrote nothing (e.g. it failed before parsing)
    first.mkdir()
    (first / PARTIAL_PARSE_FILE).write_bytes(b"parse of run 1")
    assert home_a.keep(first) is True

    assert home_a.seed(second) is True
    assert (second / PARTIAL_PARSE_FILE).read_bytes() == b"parse of run 1"
    assert home_b.seed(tmp_path / "run-b") is False
    assert sorted(p.name for p in home_a.path.parent.iterdir()) == [home_a.path.name]  # no temporary left


def test_only_the_most_recently_used_saved_parses_are_kept(tmp_path: Path):
    target, run = tmp_path / "target", tmp_path / "run"
    run.mkdir()
    (run / PARTIAL_PARSE_FILE).write_bytes(b"parse")
    stores = [PartialParseStore(target, "local", {"IMDB_ASSETS_DUCKDB_PATH": f"/{n}.duckdb"}, keep_at_most=2) for n in range(3)]
    for age, store in enumerate(stores):
        store.keep(run)
        os.utime(store.path, (1_000_000 + age, 1_000_000 + age))  # kept one after another

    assert [store.path.exists() for store in stores] == [False, True, True]
