"""The candidate CSV's checks: a failed blocking check stops publishing and everything downstream (the
previous version stays current); warnings are reported without stopping anything.

Each test starts from a home where the sample was published (v1), then changes the dbt model's table
in the warehouse the way an upstream problem would, and materializes from `movies_csv` on."""

from pathlib import Path

import duckdb
import pytest
from dagster import AssetCheckSeverity, AssetKey, AssetSelection, DagsterInstance, materialize

from imdb_assets.definitions import build_definitions
from imdb_assets.settings import LocalPaths
from imdb_assets.synth.generator import write_snapshot
from imdb_assets_tests.dataset_helpers import cli, fingerprint, graph_with_dataset_checks, materialize_downstream

UNTOUCHED = ("data", "dvc_remote", "lake", "models", "features")
PUBLISH = ("movies_csv", "movies_dataset")


def evaluations(result) -> dict:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def materialized_keys(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def step_error(result, step_key: str) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_key == step_key:
            error = event.step_failure_data.error
            while error.cause is not None and error.cls_name.startswith("Dagster"):
                error = error.cause
            return error.message
    raise AssertionError(f"step {step_key} did not fail")


def in_warehouse(home: Path, sql: str) -> None:
    with duckdb.connect(str(LocalPaths(home).warehouse)) as con:
        con.execute(sql)


def keep_one_movie_in_five(home: Path) -> None:
    # e.g. a full refresh of the dbt model against a partial download: most movies are gone
    in_warehouse(home, "DELETE FROM main.filtered_movies_incremental WHERE hash(tconst) % 5 <> 0")


def test_a_large_row_drop_blocks_publishing_and_everything_downstream(home_copy: Path):
    before = fingerprint(home_copy)
    keep_one_movie_in_five(home_copy)
    instance = DagsterInstance.ephemeral()

    result = materialize_downstream(instance)

    assert not result.success
    assert materialized_keys(result) == {"movies_csv"}  # no dataset, features or model
    row_count = evaluations(result)["row_count_vs_previous"]
    assert not row_count.passed and row_count.severity == AssetCheckSeverity.ERROR
    meta = {k: v.value for k, v in row_count.metadata.items()}
    assert meta["rows"] < meta["previous_rows"] and meta["drop_share"] > 0.5
    assert "rows dropped from" in row_count.description
    # Publishing on its own later does not get round the failed check.
    alone = materialize_downstream(instance, ("movies_dataset",))
    assert not alone.success and "movies_dataset" not in materialized_keys(alone)
    assert "check row_count_vs_previous failed on the current movies_csv" in step_error(alone, "movies_dataset")
    after = fingerprint(home_copy)
    for part in UNTOUCHED:
        assert after[part] == before[part], part


def test_the_row_drop_allowance_is_configurable(home_copy: Path):
    keep_one_movie_in_five(home_copy)
    allow_all = {"ops": {"movies_csv": {"config": {"max_row_drop_share": 1.0}}}}

    result = materialize_downstream(DagsterInstance.ephemeral(), PUBLISH, run_config=allow_all)

    assert result.success and evaluations(result)["row_count_vs_previous"].passed
    assert "movies_dataset" in materialized_keys(result)


def test_titles_empty_after_cleaning_warn_or_block_by_their_share(home_copy: Path):
    with duckdb.connect(str(LocalPaths(home_copy).warehouse)) as con:
        first, second = [r[0] for r in con.execute("SELECT tconst FROM main.filtered_movies_incremental ORDER BY tconst LIMIT 2").fetchall()]
        rows = con.execute("SELECT count(*) FROM main.filtered_movies_incremental").fetchone()[0]
        # Titles with nothing left once cleaned for the model (punctuation only).
        con.execute("UPDATE main.filtered_movies_incremental SET primaryTitle = '!!!' WHERE tconst = ?", [first])
        con.execute("UPDATE main.filtered_movies_incremental SET primaryTitle = '¿?' WHERE tconst = ?", [second])
    instance = DagsterInstance.ephemeral()

    # Above the allowed share: a blocking error, nothing published.
    strict = {"ops": {"movies_csv": {"config": {"max_empty_title_share": 1 / rows}}}}
    blocked = materialize_downstream(instance, PUBLISH, run_config=strict)
    check = evaluations(blocked)["titles_not_empty_after_cleaning"]
    assert not blocked.success and not check.passed and check.severity == AssetCheckSeverity.ERROR
    assert check.metadata["example_rows"].value == [[first, "!!!"], [second, "¿?"]]
    assert "movies_dataset" not in materialized_keys(blocked)

    # Within the default allowance: a warning, and the version is published.
    warned = materialize_downstream(instance, PUBLISH)
    check = evaluations(warned)["titles_not_empty_after_cleaning"]
    assert warned.success and not check.passed and check.severity == AssetCheckSeverity.WARN
    assert "movies_dataset" in materialized_keys(warned)


def test_a_candidate_changed_after_validation_is_caught_before_publishing(home_copy: Path):
    instance = DagsterInstance.ephemeral()
    assert materialize_downstream(instance, ("movies_csv",)).success
    candidate = LocalPaths(home_copy).data_dir / ".staging" / "raw" / "filtered_movies_incremental.csv"
    lines = candidate.read_text().splitlines()
    candidate.write_text("\n".join([*lines, lines[1]]) + "\n")  # the same movie twice

    # The checks run in movies_csv's own step, so they cannot be re-run on an edited file: publishing
    # refuses any candidate that is not byte for byte the one they passed.
    result = materialize(
        graph_with_dataset_checks(),
        selection=AssetSelection.assets("movies_dataset"),
        resources=build_definitions().resources,
        instance=instance,
        raise_on_error=False,
    )

    assert not result.success and "movies_dataset" not in materialized_keys(result)
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.cause.message
    assert "is not the one movies_csv wrote" in message and "materialize movies_csv again" in message
    # Materialized again, the checks see the duplicate and stop the CSV before anything is published.
    again = materialize_downstream(instance, ("movies_csv", "movies_dataset"))
    check = evaluations(again)["null_and_duplicate_rates"]
    assert check.passed  # movies_csv rewrote the candidate from the warehouse: the edit is gone
    assert "movies_dataset" in materialized_keys(again)


@pytest.mark.slow  # a whole `imdb-assets run`: ingest, dbt, checks (~25 s)
def test_imdb_assets_run_names_the_failed_blocking_check(home_copy: Path, tmp_path: Path, capsys):
    before = fingerprint(home_copy)
    LocalPaths(home_copy).warehouse.unlink()  # rebuilt from one small snapshot: far fewer movies
    write_snapshot(tmp_path / "small", titles=3000, seed=5)

    code, _, err = cli(capsys, "run", "--source", str(tmp_path / "small"), "--snapshot-date", "2026-11-02")

    assert code == 1
    error = err.strip().splitlines()[-1]
    assert error.startswith("imdb-assets run: error: movies_csv: blocking check row_count_vs_previous failed: rows dropped from")
    after = fingerprint(home_copy)
    for part in UNTOUCHED:
        assert after[part] == before[part], part
