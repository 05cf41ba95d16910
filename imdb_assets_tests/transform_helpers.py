"""What one dbt invocation of a Dagster run left behind (its target folder, log events and compiled model),
and the runs and warehouse changes the transform tests make."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from dagster import DagsterInstance

from imdb_assets.settings import DBT_PROJECT_DIR
from imdb_assets_tests.materialize_helpers import materialize_snapshot

MODEL = "filtered_movies_incremental"


def dbt_invocation_dirs(run_id: str) -> list[Path]:
    """Target folders of a run's dbt invocations (named `<op>-<run id[:7]>-<random>`), oldest first."""
    found = (DBT_PROJECT_DIR / "target").glob(f"*-{run_id[:7]}-*")
    return sorted((p for p in found if p.is_dir()), key=lambda p: p.stat().st_mtime)


def dbt_event_names(invocation: Path) -> list[str]:
    """dbt's structured log events (`dbt.log` holds JSON lines under dagster-dbt), by name, in order."""
    names = []
    for line in (invocation / "dbt.log").read_text(errors="replace").splitlines():
        try:
            names.append(json.loads(line)["info"]["name"])
        except (ValueError, KeyError, TypeError):
            continue
    return names


def compiled_model_sql(invocation: Path) -> str:
    """The model's SQL as dbt compiled it in that invocation (the window's dates written in)."""
    return next((invocation / "compiled").rglob(f"{MODEL}.sql")).read_text()


def materialize_partition(
    keys: tuple[str, ...], partition_key: str, instance: DagsterInstance, source: Path | None = None, quiet_dbt: bool = False
):
    """Materialize `keys` of one snapshot partition in this process; failures are returned, not raised."""
    return materialize_snapshot(source, partition_key, instance, raise_on_error=False, keys=keys, quiet_dbt=quiet_dbt)


def corrupt_rating(warehouse: Path, tconst: str) -> None:
    """What a loader that skips the raw contract could write: a rating outside IMDb's 1-10 scale."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("UPDATE raw.title_ratings SET averageRating = 11.5 WHERE tconst = ?", [tconst])


def rename_raw_column(warehouse: Path, table: str, column: str, new_name: str) -> None:
    """A raw table whose column the model selects is gone: the model's SQL fails in the warehouse."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f'ALTER TABLE raw.{table} RENAME COLUMN "{column}" TO "{new_name}"')


def table_column_types(warehouse: Path, table: str) -> dict[str, str]:
    """Column -> type of a warehouse table, as DuckDB names them."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {name: type_ for name, type_, *_ in con.execute(f"DESCRIBE {table}").fetchall()}
