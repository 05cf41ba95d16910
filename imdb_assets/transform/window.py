"""The snapshot window one dbt invocation reads, handed to dbt in its environment.

Not `--vars`: dbt hashes CLI vars into its saved parse, so a new window every run would throw the whole
parse away (a full re-parse, 2.3-3.9 s, at every start). The model reads these variables only while
executing (dbt_project/macros/snapshot_window.sql), so the saved parse stays valid from one partition
to the next.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from imdb_assets.env_vars import environment_variables
from imdb_assets.parent_death import parent_environment

MIN_DATE_ENV = "IMDB_ASSETS_DBT_MIN_DATE"
MAX_DATE_ENV = "IMDB_ASSETS_DBT_MAX_DATE"


@dataclass(frozen=True)
class SnapshotWindow:
    """Half-open [min_date, max_date): the snapshot dates one run builds."""

    min_date: date
    max_date: date

    def __post_init__(self) -> None:
        if self.max_date <= self.min_date:
            raise ValueError(f"snapshot window [{self.min_date}, {self.max_date}) is empty")

    def env(self) -> dict[str, str]:
        return {MIN_DATE_ENV: self.min_date.isoformat(), MAX_DATE_ENV: self.max_date.isoformat()}

    def __str__(self) -> str:
        return f"[{self.min_date.isoformat()}, {self.max_date.isoformat()})"


@contextmanager
def window_in_environment(window: SnapshotWindow, extra: Mapping[str, str] | None = None) -> Iterator[None]:
    """Set the window's variables for a dbt subprocess started inside the block, then restore them.

    dagster-dbt copies `os.environ` when it starts dbt, and offers no other way to pass variables; the
    block is kept to the start of the subprocess so no later dbt command sees a stale window."""
    # The dbt child also learns its parent, to end with it (imdb_assets/parent_death.py).
    with environment_variables({**(extra or {}), **window.env(), **parent_environment()}):
        yield
