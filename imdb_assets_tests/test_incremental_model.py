"""The dbt incremental model: a second snapshot merges only what changed."""

import os
from pathlib import Path

import duckdb
from dagster import AssetKey, DagsterInstance

from imdb_assets.settings import LocalPaths
from imdb_assets_tests.imdb_files import first_snapshot, second_snapshot
from imdb_assets_tests.materialize_helpers import materialize_snapshot

D1, D2 = "2026-11-01", "2026-11-02"


def table_rows(home: Path) -> dict[str, tuple]:
    with duckdb.connect(str(LocalPaths(home).warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT tconst, averageRating, numVotes, strftime(last_modified, '%Y-%m-%d') FROM main.filtered_movies_incremental"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def latest_metadata(instance: DagsterInstance, key: str) -> dict:
    event = instance.get_latest_materialization_event(AssetKey(key))
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def test_second_snapshot_merges_new_and_changed_rows_only(imdb_home: Path, tmp_path: Path):
    instance = DagsterInstance.ephemeral()
    materialize_snapshot(first_snapshot(tmp_path / "d1"), D1, instance)
    # dbt's profile variables were set only for dbt's start: nothing later in this process sees them.
    assert "IMDB_ASSETS_DUCKDB_PATH" not in os.environ
    assert table_rows(imdb_home) == {"tt0000001": (7.0, 100, D1), "tt0000002": (4.0, 50, D1)}
    assert latest_metadata(instance, "filtered_movies_incremental")["rows_merged_this_run"] == 2

    materialize_snapshot(second_snapshot(tmp_path / "d2"), D2, instance)
    # tt0000002 keeps D1: only the incremental branch (merging changed rows) can leave it so.
    assert table_rows(imdb_home) == {
        "tt0000001": (7.5, 180, D2),
        "tt0000002": (4.0, 50, D1),
        "tt0000004": (8.0, 30, D2),
        "tt0000006": (6.0, 12, D2),
    }
    metadata = latest_metadata(instance, "filtered_movies_incremental")
    assert metadata["rows_merged_this_run"] == 3
    assert metadata["dagster/row_count"] == 4


def test_dbt_tests_run_as_asset_checks(imdb_home: Path, tmp_path: Path):
    result = materialize_snapshot(first_snapshot(tmp_path / "d1"), D1)
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["unique_filtered_movies_incremental_tconst"] is True
    assert any(name.startswith("accepted_range_filtered_movies_incremental_averageRating") for name in checks)
    assert all(checks.values())


def test_reloading_a_date_replaces_that_date_only(imdb_home: Path, tmp_path: Path):
    instance = DagsterInstance.ephemeral()
    materialize_snapshot(first_snapshot(tmp_path / "d1"), D1, instance)
    materialize_snapshot(second_snapshot(tmp_path / "d2"), D2, instance)
    materialize_snapshot(second_snapshot(tmp_path / "d1-again"), D1, instance)
    with duckdb.connect(str(LocalPaths(imdb_home).warehouse), read_only=True) as con:
        counts = dict(con.execute("SELECT strftime(snapshot_date, '%Y-%m-%d'), count(*) FROM raw.title_basics GROUP BY 1").fetchall())
    assert counts == {D1: 6, D2: 6}
