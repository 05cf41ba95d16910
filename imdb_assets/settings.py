"""The one place where the environment is chosen, and the reader of every setting but prod's.

`IMDB_ASSETS_ENV` selects `local` (default: DuckDB, folders, offline) or `prod` (BigQuery, GCS, k8s);
the prod variables are read and checked in imdb_assets/prod_settings.py.
All local state lives under one folder, `IMDB_ASSETS_HOME`, so two homes never interfere.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
DBT_PROJECT_DIR = REPO_DIR / "dbt_project"
BUNDLED_SAMPLE_DIR = PACKAGE_DIR / "ingest" / "sample"
IMDB_DATASETS_URL = "https://datasets.imdbws.com/"

ENVIRONMENTS = ("local", "prod")


def current_env() -> str:
    env = os.environ.get("IMDB_ASSETS_ENV", "local").strip().lower() or "local"
    if env not in ENVIRONMENTS:
        raise ValueError(f"IMDB_ASSETS_ENV={env!r} is not one of {', '.join(ENVIRONMENTS)}")
    return env


@dataclass(frozen=True)
class LocalPaths:
    """Where every piece of local state lives, derived from one home folder."""

    home: Path

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse" / "imdb.duckdb"

    @property
    def data_dir(self) -> Path:
        """The DVC repository: `raw/filtered_movies_incremental.csv` and its `.dvc` file live here."""
        return self.home / "data"

    @property
    def movies_csv(self) -> Path:
        return self.data_dir / "raw" / "filtered_movies_incremental.csv"

    @property
    def dvc_remote(self) -> Path:
        return self.home / "dvc-remote"

    @property
    def lake(self) -> Path:
        return self.home / "lake"

    @property
    def features_dir(self) -> Path:
        return self.home / "features"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def downloads(self) -> Path:
        """Files downloaded from a `--source` URL, with their validators, reused while unchanged."""
        return self.home / "downloads"

    @property
    def prediction_log(self) -> Path:
        """Every answered prediction of `serve` and `predict`: `day=YYYY-MM-DD/<batch>.parquet`, append-only."""
        return self.home / "predictions"


def imdb_home() -> Path:
    return Path(os.environ.get("IMDB_ASSETS_HOME", ".imdb_assets")).expanduser().resolve()


def local_paths() -> LocalPaths:
    return LocalPaths(imdb_home())


def imdb_source() -> str:
    """Folder or base URL holding title.basics.tsv.gz and title.ratings.tsv.gz (default: bundled sample)."""
    return os.environ.get("IMDB_ASSETS_SOURCE", "") or str(BUNDLED_SAMPLE_DIR)


def crash_point_requested() -> str:
    """The fault-injection point a test asked this process to die at (`IMDB_ASSETS_CRASH_AT`); never in prod."""
    if current_env() == "prod":
        return ""
    return os.environ.get("IMDB_ASSETS_CRASH_AT", "")


def dbt_executable() -> str:
    """IMDB_ASSETS_DBT_EXECUTABLE (production's dbt-bigquery has its own venv), else the default dbt."""
    return os.environ.get("IMDB_ASSETS_DBT_EXECUTABLE", "") or default_dbt_executable()


def default_dbt_executable() -> str:
    # dbt may not be on PATH (e.g. a venv used without activation): use the one beside this Python.
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else "dbt"


def user_dagster_home() -> Path | None:
    """DAGSTER_HOME when the user set one (it then wins over the instance under IMDB_ASSETS_HOME)."""
    value = os.environ.get("DAGSTER_HOME", "")
    return Path(value).expanduser().resolve() if value else None


def whole_seconds(name: str, default: int) -> int:
    """A positive number of seconds from variable `name` (unset or empty: `default`)."""
    return whole_number(name, default, unit="second")


DEFAULT_RAW_SNAPSHOTS_KEPT = 7


def raw_snapshots_kept() -> int:
    """How many snapshot dates the raw tables keep (`IMDB_ASSETS_RAW_SNAPSHOTS_KEPT`, default 7): older
    dates are dropped once the dbt model has absorbed them (imdb_assets/ingest/retention.py)."""
    return whole_number("IMDB_ASSETS_RAW_SNAPSHOTS_KEPT", DEFAULT_RAW_SNAPSHOTS_KEPT)


def whole_number(name: str, default: int, minimum: int = 1, unit: str = "") -> int:
    """A whole number (of `unit`s) of at least `minimum` from variable `name` (unset or empty: `default`)."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a whole number{f' of {unit}s' if unit else ''}") from None
    if value < minimum:
        units = f" {unit}{'s' if minimum != 1 else ''}" if unit else ""
        raise ValueError(f"{name}={value} must be at least {minimum}{units}")
    return value


DEFAULT_DATASET_VERSIONS_KEPT = 30
DEFAULT_CHALLENGERS_KEPT = 10


def dataset_versions_kept() -> int:
    """Dataset versions `imdb-assets gc` keeps in the DVC cache and remote besides the models' own
    (`IMDB_ASSETS_DATASET_VERSIONS_KEPT`, default 30)."""
    return whole_number("IMDB_ASSETS_DATASET_VERSIONS_KEPT", DEFAULT_DATASET_VERSIONS_KEPT)


def challengers_kept() -> int:
    """Models that never were champion `imdb-assets gc` keeps, newest first (`IMDB_ASSETS_CHALLENGERS_KEPT`,
    default 10); the champion and every earlier champion are always kept."""
    return whole_number("IMDB_ASSETS_CHALLENGERS_KEPT", DEFAULT_CHALLENGERS_KEPT, minimum=0)


def retrain_on_monitoring_alert() -> bool:
    """IMDB_ASSETS_RETRAIN_ON_ALERT=1 starts the `retrain_on_monitoring_alert` sensor on (default: off)."""
    return os.environ.get("IMDB_ASSETS_RETRAIN_ON_ALERT", "").strip().lower() in ("1", "true", "yes", "on")
