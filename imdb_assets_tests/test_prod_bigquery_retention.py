"""Raw snapshot retention on the BigQuery warehouse, against bqemulator (started and stopped here)."""

from __future__ import annotations

from datetime import date

import pytest
from dagster import AssetKey, AssetMaterialization, DagsterInstance, materialize
from dagster_gcp import BigQueryResource

from imdb_assets.errors import DataError
from imdb_assets.resources.bigquery_warehouse import BigQueryWarehouse
from imdb_assets.ingest.retention_asset import raw_snapshot_retention
from imdb_assets_tests.imdb_files import first_snapshot, second_snapshot
from imdb_assets_tests.prod_fixtures import bigquery_emulator, point_clients_at_emulators
from imdb_assets_tests.test_prod_bigquery import load_raw

DAYS = ["2026-11-01", "2026-11-02", "2026-11-03"]


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory):
    with bigquery_emulator(tmp_path_factory.mktemp("bqemu")) as running:
        yield running


@pytest.mark.prod_tools  # bqemulator from its own venv
def test_retention_drops_absorbed_partitions_and_refuses_them_after(emulator, tmp_path, monkeypatch):
    point_clients_at_emulators(monkeypatch, bigquery_url=emulator.url)
    warehouse = BigQueryWarehouse(
        bigquery=BigQueryResource(project="retention", location="US"), dbt_dataset="imdb", raw_snapshots_kept=1
    )
    instance = DagsterInstance.ephemeral()
    for i, day in enumerate(DAYS):
        load_raw(warehouse, (first_snapshot if i % 2 == 0 else second_snapshot)(tmp_path / day), day, instance)
    # dbt built the first two dates only (recorded as the dbt model's materializations, after the loads).
    for day in DAYS[:1]:
        instance.report_runless_asset_event(AssetMaterialization(AssetKey("filtered_movies_incremental"), partition=day))

    materialize([raw_snapshot_retention], resources={"warehouse": warehouse}, instance=instance)
    # D2 is not absorbed yet: it waits, however old; D3 is the newest.
    assert sorted({p.snapshot_date.isoformat() for p in warehouse.list_partitions()}) == DAYS[1:]
    assert {(d.table, d.snapshot_date.isoformat(), d.rows) for d in warehouse.dropped_snapshots()} == {
        ("title_basics", DAYS[0], 5),
        ("title_ratings", DAYS[0], 4),
    }
    assert warehouse.count_rows("raw.title_basics", date.fromisoformat(DAYS[0])) == 0

    instance.report_runless_asset_event(AssetMaterialization(AssetKey("filtered_movies_incremental"), partition=DAYS[1]))
    result = materialize([raw_snapshot_retention], resources={"warehouse": warehouse}, instance=instance)
    metadata = result.asset_materializations_for_node("raw_snapshot_retention")[0].metadata
    assert metadata["dropped"].value == f"dropped {DAYS[1]}, 12 rows"
    assert [p.snapshot_date.isoformat() for p in warehouse.list_partitions()] == [DAYS[2], DAYS[2]]

    # A later load (or dbt build) of a dropped date fails in one line.
    with pytest.raises(DataError, match=rf"^snapshot {DAYS[0]} was dropped from the raw tables by retention"):
        warehouse.require_kept([date.fromisoformat(DAYS[0])])
