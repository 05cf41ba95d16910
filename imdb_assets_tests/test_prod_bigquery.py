"""The BigQuery warehouse and the dbt `prod` target, against bqemulator (started and stopped here).

One emulator serves the whole module (it is in-memory; each test uses its own GCP project id so tests
never see each other's tables).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, materialize
from dagster_gcp import BigQueryResource

from imdb_assets.partitions import register_snapshot_dates
from imdb_assets.dataset.validate import validate_movies
from imdb_assets.ingest.assets import raw_imdb_tables
from imdb_assets.resources.bigquery_warehouse import BigQueryWarehouse
from imdb_assets.ingest.source import ImdbSource
from imdb_assets.resources.warehouse import WarehouseBusyError
from imdb_assets.transform.assets import imdb_dbt_models
from imdb_assets.transform.project import SubprocessOnlyDbtResource, imdb_dbt_project
from imdb_assets_tests.imdb_files import movie, write_snapshot
from imdb_assets_tests.imdb_files import first_snapshot, second_snapshot
from imdb_assets_tests.prod_fixtures import (
    BigQueryEmulator,
    bigquery_client,
    bigquery_emulator,
    dbt_bigquery_executable,
    fake_gke_metadata_server,
    point_clients_at_emulators,
)

D1, D2 = "2026-11-01", "2026-11-02"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory):
    with bigquery_emulator(tmp_path_factory.mktemp("bqemu")) as running:
        yield running


@pytest.fixture
def gke_metadata():
    with fake_gke_metadata_server() as host:
        yield host


def warehouse_on(emulator: BigQueryEmulator, project: str) -> BigQueryWarehouse:
    return BigQueryWarehouse(bigquery=BigQueryResource(project=project, location="US"), dbt_dataset="imdb")


def load_raw(warehouse: BigQueryWarehouse, source: Path, partition_key: str, instance: DagsterInstance):
    register_snapshot_dates(instance, [partition_key])
    return materialize(
        [raw_imdb_tables],
        partition_key=partition_key,
        resources={"imdb_source": ImdbSource(location=str(source)), "warehouse": warehouse},
        instance=instance,
    )


@pytest.mark.prod_tools  # bqemulator from its own venv
def test_raw_snapshot_lands_in_date_partitions_and_a_reload_replaces_one_date(emulator, tmp_path, monkeypatch):
    point_clients_at_emulators(monkeypatch, bigquery_url=emulator.url)
    warehouse = warehouse_on(emulator, "raw-load")
    instance = DagsterInstance.ephemeral()
    assert warehouse.list_partitions() == []  # nothing loaded yet: no dataset, no error

    result = load_raw(warehouse, first_snapshot(tmp_path / "d1"), D1, instance)
    assert result.success
    load_raw(warehouse, second_snapshot(tmp_path / "d2"), D2, instance)
    # Reloading D1 with other content replaces D1 only.
    load_raw(warehouse, second_snapshot(tmp_path / "d1-again"), D1, instance)

    partitions = {(p.table, p.snapshot_date.isoformat()): p for p in warehouse.list_partitions()}
    assert {key: p.rows for key, p in partitions.items()} == {
        ("title_basics", D1): 6,
        ("title_basics", D2): 6,
        ("title_ratings", D1): 6,
        ("title_ratings", D2): 6,
    }
    assert all(p.last_modified.tzinfo is not None for p in partitions.values())
    assert warehouse.count_rows("raw.title_basics", None) == 12

    client = bigquery_client(BigQueryEmulator(emulator.url, "raw-load", emulator.log))
    table = client.get_table("raw-load.raw.title_basics")
    assert table.time_partitioning is not None and table.time_partitioning.field == "snapshot_date"
    assert [f.name for f in table.schema][:3] == ["snapshot_date", "tconst", "titleType"]
    # The staging tables of every load were dropped.
    assert sorted(t.table_id for t in client.list_tables("raw-load.raw")) == ["title_basics", "title_ratings"]
    metadata = instance.get_latest_materialization_event(AssetKey("raw_title_ratings")).asset_materialization.metadata
    assert metadata["dagster/row_count"].value == 6


@pytest.mark.prod_tools  # bqemulator from its own venv
def test_a_bad_snapshot_leaves_the_loaded_partitions_untouched(emulator, tmp_path, monkeypatch):
    point_clients_at_emulators(monkeypatch, bigquery_url=emulator.url)
    warehouse = warehouse_on(emulator, "bad-load")
    instance = DagsterInstance.ephemeral()
    load_raw(warehouse, first_snapshot(tmp_path / "d1"), D1, instance)
    bad = write_snapshot(tmp_path / "bad", [movie("tt0000001", "Heat", "Crime,Drama")], [["tt0000001", 11.5, 100]])
    result = materialize(
        [raw_imdb_tables], partition_key=D1, instance=instance, raise_on_error=False,
        resources={"imdb_source": ImdbSource(location=str(bad)), "warehouse": warehouse},
    )
    assert not result.success
    assert {(p.table, p.rows) for p in warehouse.list_partitions()} == {("title_basics", 5), ("title_ratings", 4)}


def test_partition_listing_gives_up_within_the_tick_budget(monkeypatch):
    """A sensor tick must not hang: a BigQuery that does not answer turns into WarehouseBusyError, in time."""
    point_clients_at_emulators(monkeypatch, bigquery_url="http://127.0.0.1:9")  # nothing listens on port 9
    warehouse = BigQueryWarehouse(bigquery=BigQueryResource(project="unreachable"), dbt_dataset="imdb")
    started = time.monotonic()
    with pytest.raises(WarehouseBusyError, match="no answer within 2"):
        warehouse.list_partitions(busy_timeout_seconds=2)
    assert time.monotonic() - started < 15  # the client's own retry would wait up to 10 minutes


@pytest.mark.slow
@pytest.mark.prod_tools
def test_dbt_prod_target_merges_the_second_snapshot_into_a_partitioned_table(emulator, gke_metadata, tmp_path, monkeypatch):
    """The incremental model built twice with dbt-bigquery (its own venv; ADC from the metadata server)."""
    point_clients_at_emulators(monkeypatch, bigquery_url=emulator.url, metadata_host=gke_metadata)
    project = "dbt-prod"
    warehouse = warehouse_on(emulator, project)
    dbt = SubprocessOnlyDbtResource(project_dir=imdb_dbt_project, target="prod", dbt_executable=dbt_bigquery_executable())
    resources = {"warehouse": warehouse, "dbt": dbt}
    instance = DagsterInstance.ephemeral()

    for folder, day in ((first_snapshot(tmp_path / "d1"), D1), (second_snapshot(tmp_path / "d2"), D2)):
        register_snapshot_dates(instance, [day])
        result = materialize(
            [raw_imdb_tables, imdb_dbt_models], partition_key=day, instance=instance,
            resources={**resources, "imdb_source": ImdbSource(location=str(folder))},
        )
        assert result.success
        if day == D1:
            assert rows_by_tconst(warehouse) == {"tt0000001": (7.0, 100, D1), "tt0000002": (4.0, 50, D1)}

    # tt0000002 keeps D1: only the incremental MERGE (changed rows only) can leave it so.
    assert rows_by_tconst(warehouse) == {
        "tt0000001": (7.5, 180, D2),
        "tt0000002": (4.0, 50, D1),
        "tt0000004": (8.0, 30, D2),
        "tt0000006": (6.0, 12, D2),
    }
    metadata = instance.get_latest_materialization_event(AssetKey("filtered_movies_incremental")).asset_materialization.metadata
    assert metadata["rows_merged_this_run"].value == 3
    assert metadata["dagster/row_count"].value == 4
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks and all(checks.values()), checks

    table = bigquery_client(BigQueryEmulator(emulator.url, project, emulator.log)).get_table(f"{project}.imdb.filtered_movies_incremental")
    assert table.time_partitioning is not None and table.time_partitioning.field == "last_modified"
    # Extraction: the contract's columns and types, ready for the CSV.
    validated = validate_movies(warehouse.read_filtered_movies_arrow()).to_pandas()
    assert list(validated["tconst"]) == ["tt0000001", "tt0000002", "tt0000004", "tt0000006"]
    assert validated.loc[validated["tconst"] == "tt0000002", "last_modified"].item() == D1


def rows_by_tconst(warehouse: BigQueryWarehouse) -> dict[str, tuple]:
    movies = warehouse.read_filtered_movies()
    return {r.tconst: (r.averageRating, r.numVotes, r.last_modified) for r in movies.itertuples()}
