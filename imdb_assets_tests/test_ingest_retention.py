"""Raw snapshot retention: the raw tables keep the newest K dates, the dbt model still equals "keep every
date", and a dropped date cannot be loaded or built again (one line saying why)."""

from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance, materialize

from imdb_assets.cli import main
from imdb_assets.definitions import ALL_ASSETS, build_definitions
from imdb_assets.errors import error_text, user_error_of
from imdb_assets.settings import LocalPaths
from imdb_assets.synth.generator import write_next_day, write_snapshot
from imdb_assets_tests.materialize_helpers import materialize_snapshot

DAYS = ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"]
WITH_RETENTION = ("raw_title_basics", "raw_title_ratings", "filtered_movies_incremental", "raw_snapshot_retention")


@pytest.fixture(scope="module")
def daily_snapshots(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Four consecutive synthetic snapshots, each the one before with 5% changed."""
    root = tmp_path_factory.mktemp("days")
    folders = [root / DAYS[0]]
    write_snapshot(folders[0], titles=3000, seed=3)
    for day in DAYS[1:]:
        folders.append(root / day)
        write_next_day(folders[-2], folders[-1], change_rate=0.05, seed=len(folders))
    return folders


def raw_dates(home: Path) -> dict[str, list[str]]:
    with duckdb.connect(str(LocalPaths(home).warehouse), read_only=True) as con:
        return {
            table: [str(d) for (d,) in con.execute(f"SELECT DISTINCT snapshot_date FROM raw.{table} ORDER BY 1").fetchall()]
            for table in ("title_basics", "title_ratings", "partition_loads")
        }


def filtered_table(home: Path) -> list[tuple]:
    with duckdb.connect(str(LocalPaths(home).warehouse), read_only=True) as con:
        return con.execute("SELECT * FROM main.filtered_movies_incremental ORDER BY tconst").fetchall()


def retention_metadata(instance: DagsterInstance) -> dict:
    event = instance.get_latest_materialization_event(AssetKey("raw_snapshot_retention"))
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def run_retention(instance: DagsterInstance):
    defs = build_definitions()
    return materialize(ALL_ASSETS, selection=[AssetKey("raw_snapshot_retention")], resources=defs.resources, instance=instance)


def load_days(home: Path, snapshots: list[Path], monkeypatch, kept: int) -> DagsterInstance:
    monkeypatch.setenv("IMDB_ASSETS_HOME", str(home))
    monkeypatch.setenv("IMDB_ASSETS_RAW_SNAPSHOTS_KEPT", str(kept))
    instance = DagsterInstance.ephemeral()
    for folder, day in zip(snapshots, DAYS):
        materialize_snapshot(folder, day, instance, keys=WITH_RETENTION, quiet_dbt=True)
    return instance


def test_two_kept_dates_give_the_table_of_every_date(daily_snapshots, tmp_path: Path, monkeypatch):
    everything = tmp_path / "keep-all"
    load_days(everything, daily_snapshots, monkeypatch, kept=100)
    assert raw_dates(everything)["title_basics"] == DAYS

    retained = tmp_path / "keep-two"
    instance = load_days(retained, daily_snapshots, monkeypatch, kept=2)
    assert raw_dates(retained) == {table: DAYS[2:] for table in ("title_basics", "title_ratings", "partition_loads")}
    # The incremental model absorbed each date before it was dropped: the same table as keeping every date.
    assert filtered_table(retained) == filtered_table(everything)
    assert len(filtered_table(retained)) > 100

    metadata = retention_metadata(instance)
    assert metadata["kept_dates"] == DAYS[2:] and metadata["raw_snapshots_kept"] == 2
    assert metadata["dropped"].startswith(f"dropped {DAYS[1]}, ") and metadata["dropped_rows"] > 3000
    # Each dropped partition of each raw table got an observation saying so.
    observed = {
        (r.event_log_entry.dagster_event.asset_key.to_user_string(), r.partition_key)
        for key in ("raw_title_basics", "raw_title_ratings")
        for r in instance.fetch_observations(AssetKey(key), limit=10).records
    }
    assert observed == {(k, d) for k in ("raw_title_basics", "raw_title_ratings") for d in DAYS[:2]}

    # Idempotent: a rerun drops nothing more.
    run_retention(instance)
    assert retention_metadata(instance)["dropped"] == "nothing to drop"
    assert raw_dates(retained)["title_basics"] == DAYS[2:]

    # A dbt backfill of a dropped date fails in one line saying retention dropped it.
    result = materialize_snapshot(
        None, DAYS[0], instance, keys=("filtered_movies_incremental",), raise_on_error=False
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    message = error_text(user_error_of(failure.step_failure_data.error))
    assert message.startswith(f"snapshot {DAYS[0]} was dropped from the raw tables by retention") and "\n" not in message
    assert filtered_table(retained) == filtered_table(everything)


def test_a_dropped_date_is_not_loaded_again(daily_snapshots, tmp_path: Path, monkeypatch, capsys):
    home = tmp_path / "home"
    load_days(home, daily_snapshots[:3], monkeypatch, kept=1)
    assert raw_dates(home)["title_basics"] == [DAYS[2]]
    capsys.readouterr()  # the runs' own log lines
    assert main(["ingest", "--source", str(daily_snapshots[0]), "--snapshot-date", DAYS[0]]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"imdb-assets ingest: error: snapshot {DAYS[0]} was dropped from the raw tables by retention")
    assert len(err.splitlines()) == 1
    assert raw_dates(home)["title_basics"] == [DAYS[2]]


def test_dates_dbt_has_not_built_are_kept(daily_snapshots, tmp_path: Path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("IMDB_ASSETS_HOME", str(home))
    monkeypatch.setenv("IMDB_ASSETS_RAW_SNAPSHOTS_KEPT", "1")
    instance = DagsterInstance.ephemeral()
    for folder, day in zip(daily_snapshots[:3], DAYS):  # raw only: the sensor has not built dbt yet
        materialize_snapshot(folder, day, instance, keys=("raw_title_basics", "raw_title_ratings"))
    materialize_snapshot(None, DAYS[2], instance, keys=("filtered_movies_incremental", "raw_snapshot_retention"))
    # Only the newest date was built: the two older ones wait for their dbt partitions.
    assert raw_dates(home)["title_basics"] == DAYS[:3]
    assert retention_metadata(instance)["waiting_for_dbt"] == DAYS[:2]
    materialize_snapshot(None, DAYS[0], instance, keys=("filtered_movies_incremental", "raw_snapshot_retention"))
    assert raw_dates(home)["title_basics"] == DAYS[1:3]
