"""The Dagster instance that lives under IMDB_ASSETS_HOME (telemetry and the welcome pop-up off)."""

from __future__ import annotations

from pathlib import Path

from dagster import DagsterInstance

from imdb_assets.files import atomic_write_text
from imdb_assets.settings import user_dagster_home

INSTANCE_YAML = """\
telemetry:
  enabled: false
nux:
  enabled: false
"""


def prepare_dagster_home(dagster_home: Path) -> Path:
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists():
        atomic_write_text(config, INSTANCE_YAML)  # a kill mid-write must not leave a torn dagster.yaml
    return dagster_home


def local_instance(dagster_home: Path) -> DagsterInstance:
    """DAGSTER_HOME if the user set one, else the instance under IMDB_ASSETS_HOME."""
    if user_dagster_home() is not None:
        return DagsterInstance.get()
    return DagsterInstance.from_config(str(prepare_dagster_home(dagster_home)))
