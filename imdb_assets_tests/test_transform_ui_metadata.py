"""The dbt asset as the UI shows it: typed and described columns, metadata the UI can render, and dbt's
output in a terminal run (quiet: only warnings, errors and the summary; never colour codes in a pipe)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, MetadataValue, TableColumnLineage, TableSchema

from imdb_assets.definitions import defs
from imdb_assets.pipeline_run import RAW_AND_DBT
from imdb_assets.settings import LocalPaths
from imdb_assets.transform.assets import imdb_dbt_models
from imdb_assets.transform.project import colour_flags
from imdb_assets_tests.imdb_files import first_snapshot
from imdb_assets_tests.transform_helpers import (
    MODEL,
    corrupt_rating,
    dbt_invocation_dirs,
    materialize_partition,
    rename_raw_column,
    table_column_types,
)

D1 = "2026-11-01"
RAW = ("raw_title_basics", "raw_title_ratings")
# Raw metadata values Dagster turns into a MetadataValue; anything else reaches the UI as "[Type] (unserializable)".
RENDERABLE = (MetadataValue, str, int, float, bool, list, dict, os.PathLike, AssetKey, TableSchema, TableColumnLineage, type(None))
# dagster-dbt reads these back when it runs dbt (manifest, translator); the UI hides them by name.
HIDDEN_BY_THE_UI = {"dagster_dbt/manifest", "dagster_dbt/dagster_dbt_translator"}
# dbt's lines per node that went well: "3 of 10 START test ...", "3 of 10 PASS ...", "1 of 10 OK created ...".
PASSING_NODE_LINE = re.compile(r"^\d+ of \d+ (START|PASS|OK|SKIP) ", re.MULTILINE)


def model_spec():
    [spec] = [s for s in imdb_dbt_models.specs if s.key == AssetKey(MODEL)]
    return spec


def described_types(metadata) -> dict[str, str]:
    """Column -> type of Dagster's table metadata (its Columns tab), every column described."""
    schema = metadata["dagster/column_schema"]
    assert all(column.description.strip() for column in schema.columns), schema
    return {column.name: column.type for column in schema.columns}


def test_the_model_and_its_sources_declare_every_column_of_the_built_tables_typed_and_described(imdb_home: Path, tmp_path: Path):
    result = materialize_partition(RAW_AND_DBT, D1, DagsterInstance.ephemeral(), source=first_snapshot(tmp_path / "d1"), quiet_dbt=True)
    assert result.success
    warehouse = LocalPaths(imdb_home).warehouse
    spec = model_spec()
    assert spec.description
    assert described_types(spec.metadata) == table_column_types(warehouse, spec.metadata["dagster/table_name"])
    # The raw tables, as dbt declares its sources (each dependency carries its source's columns).
    sources = {dep.asset_key.to_user_string(): dep.metadata for dep in spec.deps}
    assert set(sources) == set(RAW)
    for source in sources.values():
        assert described_types(source) == table_column_types(warehouse, source["dagster/table_name"])


def test_no_asset_or_check_carries_metadata_the_ui_cannot_show():
    graph = defs.resolve_asset_graph()
    metadata = {spec.key.to_user_string(): spec.metadata for spec in defs.resolve_all_asset_specs()}
    metadata |= {key.to_user_string(): graph.get_check_spec(key).metadata for key in graph.asset_check_keys}
    unrenderable = {
        (owner, label, type(value).__name__)
        for owner, entries in metadata.items()
        for label, value in entries.items()
        if not isinstance(value, RENDERABLE) and label not in HIDDEN_BY_THE_UI
    }
    assert unrenderable == set()
    assert "dagster_dbt/project" not in model_spec().metadata


def test_a_quiet_dbt_build_prints_only_its_summary_and_still_reports_its_checks(imdb_home: Path, tmp_path: Path, capfd):
    result = materialize_partition(RAW_AND_DBT, D1, DagsterInstance.ephemeral(), source=first_snapshot(tmp_path / "d1"), quiet_dbt=True)
    printed = "".join(capfd.readouterr())

    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert set(checks) == {key.name for key in imdb_dbt_models.check_keys} and all(checks.values())
    assert not PASSING_NODE_LINE.search(printed), printed
    assert "Done. PASS=" not in printed  # the step's own progress line says it finished
    assert "\x1b" not in printed


def test_a_verbose_dbt_build_prints_every_line_without_colour_codes_into_a_pipe(imdb_home: Path, tmp_path: Path, capfd):
    result = materialize_partition(RAW_AND_DBT, D1, DagsterInstance.ephemeral(), source=first_snapshot(tmp_path / "d1"))
    printed = "".join(capfd.readouterr())

    assert result.success
    assert len(PASSING_NODE_LINE.findall(printed)) == 20  # START and result of the model and its 9 tests
    assert "\x1b" not in printed


def _quiet_dbt_run_after(imdb_home: Path, tmp_path: Path, damage) -> tuple:
    """Ingest the first snapshot, damage the warehouse, then build the dbt partition quietly."""
    instance = DagsterInstance.ephemeral()
    assert materialize_partition(RAW, D1, instance, source=first_snapshot(tmp_path / "d1")).success
    damage(LocalPaths(imdb_home).warehouse)
    return materialize_partition((MODEL,), D1, instance, quiet_dbt=True)


def _step_error(result) -> str:
    [failure] = result.get_step_failure_events()
    return failure.step_failure_data.error.to_string()


def _user_error(result) -> str:
    """The step's own error line, as `imdb-assets run` prints it."""
    from imdb_assets.errors import error_text, user_error_of

    [failure] = result.get_step_failure_events()
    return error_text(user_error_of(failure.step_failure_data.error))


def test_a_failing_dbt_test_still_fails_the_step_with_its_message_when_quiet(imdb_home: Path, tmp_path: Path, capfd):
    capfd.readouterr()  # ingest's output is not under test
    result = _quiet_dbt_run_after(imdb_home, tmp_path, lambda warehouse: corrupt_rating(warehouse, "tt0000001"))
    printed = "".join(capfd.readouterr())

    assert not result.success
    failed = [e.check_name for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed == ["accepted_range_filtered_movies_incremental_averageRating__10__1"]
    message = "Failure in test accepted_range_filtered_movies_incremental_averageRating__10__1"
    assert message in printed and "Got 1 result, configured to fail if != 0" in printed
    assert _user_error(result) == f"dbt build failed: {message.removeprefix('Failure in test ')}: Got 1 result, configured to fail if != 0"
    assert re.search(r"^2 of 10 FAIL 1 accepted_range_filtered_movies_incremental_averageRating", printed, re.MULTILINE)
    assert not PASSING_NODE_LINE.search(printed), printed


def test_a_sql_error_in_the_model_still_shows_the_warehouses_message_when_quiet(imdb_home: Path, tmp_path: Path, capfd):
    capfd.readouterr()
    result = _quiet_dbt_run_after(imdb_home, tmp_path, lambda warehouse: rename_raw_column(warehouse, "title_ratings", "numVotes", "votes"))
    printed = "".join(capfd.readouterr())

    assert not result.success
    assert f"Runtime Error in model {MODEL}" in printed
    assert 'does not have a column named "numVotes"' in printed
    assert 'does not have a column named "numVotes"' in _step_error(result)
    # The step's error is dbt's reason on one line, not dagster-dbt's "the dbt CLI process ... failed".
    assert _user_error(result) == (
        f'dbt build failed: {MODEL}: Binder Error: Values list "ratings" does not have a column named "numVotes"'
    )


def test_without_run_results_the_reason_comes_from_dbts_log(imdb_home: Path, tmp_path: Path):
    """dbt killed by a full disk writes no run_results.json: its debug log still names the error."""
    from imdb_assets.transform.dbt_errors import _error_lines_of_log

    result = _quiet_dbt_run_after(imdb_home, tmp_path, lambda warehouse: rename_raw_column(warehouse, "title_ratings", "numVotes", "votes"))
    [invocation] = dbt_invocation_dirs(result.run_id)
    (invocation / "run_results.json").unlink()
    errors = _error_lines_of_log((invocation / "dbt.log").read_text().splitlines())
    assert any('does not have a column named "numVotes"' in line for line in errors), errors


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_dbt_colours_its_lines_only_for_a_terminal(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("sys.stdout", _Terminal())
    assert colour_flags() == []
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert colour_flags() == ["--no-use-colors"]
