"""The raw ingest through `dagster.materialize` and its load paths: rows land exactly once per date, a
reload replaces a date in both tables in one transaction, and a rule checked on distinct values still
counts and points at the rows that break it."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, materialize

from imdb_assets.partitions import register_snapshot_dates
from imdb_assets.errors import DataError
from imdb_assets.ingest.assets import raw_imdb_tables
from imdb_assets.ingest.imdb_files import check_snapshot, stage_snapshot
from imdb_assets.ingest.load import ingest_snapshot
from imdb_assets.ingest.source import ImdbSource
from imdb_assets.resources.warehouse import DuckDBWarehouse, Warehouse
from imdb_assets_tests.bad_snapshots import good_basics, good_ratings
from imdb_assets_tests.imdb_files import movie, write_snapshot

D1, D2 = date(2026, 11, 1), date(2026, 11, 2)


def warehouse_rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def basics_by_date(path: Path) -> list[tuple]:
    return warehouse_rows(path, "SELECT snapshot_date, tconst, primaryTitle FROM raw.title_basics ORDER BY ALL")


def test_materialize_loads_each_date_once_and_a_reload_replaces_it(tmp_path: Path):
    warehouse_path = tmp_path / "warehouse.duckdb"
    first = write_snapshot(tmp_path / "first", good_basics(3), good_ratings(2))
    second = write_snapshot(tmp_path / "second", [movie("tt0000009", "Only One", "Comedy")], [["tt0000009", 7.5, 40]])
    instance = DagsterInstance.ephemeral()

    def load(source: Path, day: date):
        register_snapshot_dates(instance, [day.isoformat()])
        return materialize(
            [raw_imdb_tables],
            partition_key=day.isoformat(),
            resources={
                "imdb_source": ImdbSource(location=str(source)),
                "warehouse": DuckDBWarehouse(path=str(warehouse_path)),
            },
            instance=instance,
        )

    load(first, D1)
    load(first, D2)
    result = load(second, D2)  # the reload replaces 2026-11-02 only

    assert basics_by_date(warehouse_path) == [
        (D1, "tt0000001", "Movie 1"),
        (D1, "tt0000002", "Movie 2"),
        (D1, "tt0000003", "Movie 3"),
        (D2, "tt0000009", "Only One"),
    ]
    assert warehouse_rows(
        warehouse_path, "SELECT snapshot_date, tconst, averageRating, numVotes FROM raw.title_ratings ORDER BY ALL"
    ) == [
        (D1, "tt0000001", 6.0, 10),
        (D1, "tt0000002", 6.0, 10),
        (D2, "tt0000009", 7.5, 40),
    ]
    assert warehouse_rows(
        warehouse_path, "SELECT table_name, snapshot_date, rows FROM raw.partition_loads ORDER BY ALL"
    ) == [
        ("title_basics", D1, 3),
        ("title_basics", D2, 1),
        ("title_ratings", D1, 2),
        ("title_ratings", D2, 1),
    ]
    metadata = result.asset_materializations_for_node("raw_imdb_tables")
    by_key = {m.asset_key: m.metadata for m in metadata}
    basics = by_key[AssetKey("raw_title_basics")]
    assert basics["dagster/row_count"].value == 1
    assert {"read_seconds", "check_seconds", "load_seconds"} <= set(basics)


def test_a_failure_inside_the_load_rolls_back_both_tables(tmp_path: Path):
    warehouse = DuckDBWarehouse(path=str(tmp_path / "warehouse.duckdb"))
    ingest_snapshot(str(write_snapshot(tmp_path / "first", good_basics(3), good_ratings(3))), D1, warehouse)
    # The ratings table lost a column: the basics insert for the reload succeeds, the ratings one fails.
    with duckdb.connect(warehouse.path) as con:
        con.execute('ALTER TABLE raw.title_ratings DROP COLUMN "numVotes"')
    before = basics_by_date(Path(warehouse.path))

    reload = write_snapshot(tmp_path / "reload", [movie("tt0000042", "Replacement", "Drama")], [["tt0000042", 5.0, 9]])
    with pytest.raises(duckdb.Error, match="numVotes"):
        ingest_snapshot(str(reload), D1, warehouse)

    assert basics_by_date(Path(warehouse.path)) == before
    assert warehouse_rows(Path(warehouse.path), "SELECT table_name, rows FROM raw.partition_loads ORDER BY ALL") == [
        ("title_basics", 3),
        ("title_ratings", 3),
    ]


def test_a_rule_checked_on_distinct_values_counts_every_row_that_breaks_it(tmp_path: Path):
    basics = good_basics(8)
    # Three rows, two distinct genre lists: the rule runs once per list but must count rows.
    for index, genres in ((1, "Drama,Cyberpunk"), (4, "Drama,Cyberpunk"), (6, "Cyberpunk")):
        basics[index][8] = genres
    source = write_snapshot(tmp_path / "source", basics, good_ratings())
    warehouse = DuckDBWarehouse(path=str(tmp_path / "warehouse.duckdb"))

    with pytest.raises(DataError) as error:
        ingest_snapshot(str(source), D1, warehouse)

    assert re.fullmatch(
        r"title\.basics\.tsv\.gz: column genres: 3 row\(s\) holds a genre outside IMDb's vocabulary, e\.g\. "
        r"(tconst=tt000000[25] genres='Drama,Cyberpunk'|tconst=tt0000007 genres='Cyberpunk') \(new: Cyberpunk\)",
        str(error.value),
    ), str(error.value)
    assert not Path(warehouse.path).exists()  # checked before the warehouse is opened


def test_parquet_loading_warehouses_get_the_same_rows(tmp_path: Path, sample_dir: Path):
    direct = DuckDBWarehouse(path=str(tmp_path / "direct.duckdb"))
    via_parquet = DuckDBWarehouse(path=str(tmp_path / "via_parquet.duckdb"))
    ingest_snapshot(str(sample_dir), D1, direct)
    # The interface's default load (what a file-loading warehouse such as BigQuery inherits): the checked
    # rows are written to Parquet, then handed to `replace_snapshot`.
    with check_snapshot(str(sample_dir), tmp_path / "work") as snapshot:
        loaded = Warehouse.replace_snapshot_from(
            via_parquet,
            D1,
            snapshot.connection,
            {name: snapshot.typed_query(name) for name in snapshot.files},
            {name: checked.source_sha256 for name, checked in snapshot.files.items()},
        )
    # And the Parquet files `stage_snapshot` writes load to the same rows too.
    staged = stage_snapshot(str(sample_dir), tmp_path / "staged")
    via_parquet.replace_snapshot(
        D2, {n: s.parquet_path for n, s in staged.items()}, {n: s.source_sha256 for n, s in staged.items()}
    )

    assert loaded == {name: s.rows for name, s in staged.items()}
    for table in ("title_basics", "title_ratings"):
        expected = warehouse_rows(Path(direct.path), f"SELECT * EXCLUDE (snapshot_date) FROM raw.{table} ORDER BY ALL")
        for day in (D1, D2):
            rows = warehouse_rows(
                Path(via_parquet.path),
                f"SELECT * EXCLUDE (snapshot_date) FROM raw.{table} WHERE snapshot_date = '{day}' ORDER BY ALL",
            )
            assert rows == expected, (table, day)
