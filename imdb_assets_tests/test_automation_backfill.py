"""A range of snapshot dates builds in one run of `dbt_snapshot_job`, with one dbt window for the range."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance

from imdb_assets.partitions import register_snapshot_dates
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.automation_helpers import automation_definitions, ingest
from imdb_assets_tests.imdb_files import movie, write_snapshot
from imdb_assets_tests.transform_helpers import compiled_model_sql, dbt_invocation_dirs

D1, D2, D3 = "2026-11-01", "2026-11-02", "2026-11-03"
RANGE_START_TAG, RANGE_END_TAG = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def three_snapshots(root: Path) -> dict[str, Path]:
    heat, gigli, up = (
        movie("tt0000001", "Heat", "Crime,Drama"),
        movie("tt0000002", "Gigli", "Comedy"),
        movie("tt0000003", "Up", "Animation"),
    )
    return {
        D1: write_snapshot(root / D1, [heat, gigli], [["tt0000001", 7.0, 100], ["tt0000002", 4.0, 50]]),
        D2: write_snapshot(
            root / D2, [heat, gigli, up], [["tt0000001", 7.5, 180], ["tt0000002", 4.0, 50], ["tt0000003", 8.0, 10]]
        ),
        # Gigli is gone from the newest snapshot: its newest row in the window is D2's.
        D3: write_snapshot(root / D3, [heat, up], [["tt0000001", 7.6, 190], ["tt0000003", 8.2, 40]]),
    }


@pytest.mark.slow  # one real dbt build, ~15-25 s on 2 busy cores
def test_three_dates_build_in_one_run_with_one_dbt_window(imdb_home: Path, tmp_path: Path):
    for snapshot_date, folder in three_snapshots(tmp_path / "snapshots").items():
        ingest(folder, snapshot_date)
    instance = DagsterInstance.ephemeral()
    register_snapshot_dates(instance, [D1, D2, D3])
    job = automation_definitions().resolve_job_def("dbt_snapshot_job")

    result = job.execute_in_process(instance=instance, tags={RANGE_START_TAG: D1, RANGE_END_TAG: D3})

    assert result.success
    with duckdb.connect(str(LocalPaths(imdb_home).warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT tconst, averageRating, numVotes, strftime(last_modified, '%Y-%m-%d') FROM main.filtered_movies_incremental ORDER BY tconst"
        ).fetchall()
    # Only a window covering all three dates gives each title its newest row across them.
    assert rows == [("tt0000001", 7.6, 190, D3), ("tt0000002", 4.0, 50, D2), ("tt0000003", 8.2, 40, D3)]

    materialized = instance.fetch_materializations(AssetKey("filtered_movies_incremental"), limit=10).records
    assert sorted(r.partition_key for r in materialized) == [D1, D2, D3]
    assert {r.run_id for r in materialized} == {result.run_id}
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    windows = [m for m in messages if m.startswith("dbt build for snapshots in")]
    assert windows == [f"dbt build for snapshots in [{D1}, 2026-11-04)"]
    # dbt itself was invoked once, a `dbt build` whose model read the half-open window of the whole range
    # (passed in dbt's environment, not as --vars, so dbt's saved parse stays valid: transform/window.py).
    dbt_commands = [m for m in messages if m.startswith("Running dbt command:")]
    assert len(dbt_commands) == 1 and " build " in dbt_commands[0] and "--vars" not in dbt_commands[0]
    [invocation] = dbt_invocation_dirs(result.run_id)
    window_sql = compiled_model_sql(invocation)
    assert f"snapshot_date >= cast('{D1}' as date)" in window_sql
    assert "snapshot_date < cast('2026-11-04' as date)" in window_sql
    # The dbt tests ran once for the range, not once per date.
    checks = result.get_asset_check_evaluations()
    assert len(checks) == len({c.check_name for c in checks}) > 0 and all(c.passed for c in checks)
    # The job builds dbt only: raw tables were loaded by `imdb-assets ingest` and are not re-ingested.
    assert instance.fetch_materializations(AssetKey("raw_title_basics"), limit=1).records == []
    assert len(instance.get_runs()) == 1
