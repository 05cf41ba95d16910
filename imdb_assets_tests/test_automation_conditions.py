"""The downstream refresh condition, evaluated against real dbt runs with `evaluate_automation_conditions`."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, AssetSelection, DagsterInstance, evaluate_automation_conditions

from imdb_assets.partitions import register_snapshot_dates
from imdb_assets.automation.conditions import DOWNSTREAM_OF_DBT
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.automation_helpers import automation_definitions, ingest, small_snapshot

D1, D2 = "2026-11-01", "2026-11-02"
REFRESHED = {"movies_csv", "movies_dataset", "movie_features", "enjoyment_model"}


class Evaluator:
    """Successive automation ticks over one instance, carrying the cursor like the daemon does."""

    def __init__(self, defs, instance: DagsterInstance):
        self.defs, self.instance, self.cursor = defs, instance, None

    def requested(self) -> set[str]:
        result = evaluate_automation_conditions(defs=self.defs, instance=self.instance, cursor=self.cursor)
        self.cursor = result.cursor
        return {r.key.to_user_string() for r in result.results if r.true_subset.size > 0}


def build_dbt_partition(defs, instance: DagsterInstance, partition_key: str) -> bool:
    job = defs.resolve_job_def("dbt_snapshot_job")
    register_snapshot_dates(instance, [partition_key])
    return job.execute_in_process(instance=instance, partition_key=partition_key, raise_on_error=False).success


def corrupt_rating(warehouse: Path, snapshot_date: str) -> None:
    """What a loader that skips the raw contract could write: a rating outside IMDb's 1-10 scale."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "UPDATE raw.title_ratings SET averageRating = 11.5 WHERE snapshot_date = ? AND tconst = 'tt0000001'",
            [snapshot_date],
        )


def test_condition_covers_every_unpartitioned_asset_below_dbt():
    defs = automation_definitions()
    graph = defs.resolve_asset_graph()
    below_dbt = {k.to_user_string() for k in DOWNSTREAM_OF_DBT.resolve(graph)}
    with_condition = {
        k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).automation_condition is not None
    }
    assert REFRESHED <= below_dbt
    assert with_condition == {k for k in below_dbt if graph.get(AssetKey(k)).partitions_def is None}
    # Raw tables and the dbt model are never started by automation: the loader and the sensor own them.
    assert not with_condition & {"raw_title_basics", "raw_title_ratings", "filtered_movies_incremental"}


@pytest.mark.slow  # two real dbt builds, ~30-40 s on 2 busy cores
def test_downstream_refreshes_after_a_dbt_partition_only_when_its_blocking_checks_pass(imdb_home: Path, tmp_path: Path):
    defs = automation_definitions()
    instance = DagsterInstance.ephemeral()
    ticks = Evaluator(defs, instance)
    below_dbt = {k.to_user_string() for k in DOWNSTREAM_OF_DBT.resolve(defs.resolve_asset_graph())}
    # The monitoring assets below dbt also wait for the prediction log (served_predictions), never read here.
    below_dbt -= {k.to_user_string() for k in AssetSelection.groups("monitoring").resolve(defs.resolve_asset_graph())}
    # Retention runs in the dbt job itself (after the dbt step), so automation has nothing left to do for it.
    below_dbt -= {"raw_snapshot_retention"}

    # Nothing built yet: the never-materialized downstream assets must not start on an empty table.
    assert ticks.requested() == set()

    # A partition whose dbt tests fail still materializes the model (with failed blocking checks),
    # which must not refresh anything downstream.
    ingest(small_snapshot(tmp_path / "d1"), D1)
    corrupt_rating(LocalPaths(imdb_home).warehouse, D1)
    assert not build_dbt_partition(defs, instance, D1)
    latest = instance.fetch_materializations(AssetKey("filtered_movies_incremental"), limit=1).records
    assert [r.partition_key for r in latest] == [D1]
    assert ticks.requested() == set()

    # A good newer snapshot replaces the bad row; its tests pass and everything below dbt refreshes in
    # one tick (one run): movies_csv's blocking checks are evaluated in its own step, so a failure there
    # stops the run before movies_dataset instead of needing a second tick to wait for them.
    ingest(small_snapshot(tmp_path / "d2", version=2), D2)
    assert build_dbt_partition(defs, instance, D2)
    requested = ticks.requested()
    assert requested == below_dbt
    assert ticks.requested() == set()  # handled: a repeat tick does not refresh again
