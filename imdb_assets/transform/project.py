"""The dbt project, its target for the current environment, and its manifest."""

from __future__ import annotations

import os
import sys
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version

from imdb_assets.settings import DBT_PROJECT_DIR, current_env

DBT_TARGETS = {"local": "local", "prod": "prod"}


def dbt_executable() -> str:
    # Production runs dbt-bigquery from its own environment (IMDB_ASSETS_DBT_EXECUTABLE). Otherwise dbt
    # may not be on PATH (e.g. a venv used without activation): use the one beside this Python.
    if os.environ.get("IMDB_ASSETS_DBT_EXECUTABLE"):
        return os.environ["IMDB_ASSETS_DBT_EXECUTABLE"]
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else "dbt"


imdb_dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target=DBT_TARGETS[current_env()],
)


def _manifest_is_stale(project: DbtProject) -> bool:
    manifest = Path(project.manifest_path)
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [p for p in Path(project.project_dir).rglob("*") if p.suffix in {".sql", ".yml", ".yaml"} and "target" not in p.parts]
    return any(p.stat().st_mtime > built for p in sources)


def ensure_manifest(project: DbtProject = imdb_dbt_project) -> Path:
    """Build the manifest (`dbt parse`) when missing or older than the models; `dagster dev` and the
    Docker image prepare it too, but the CLI and tests load definitions without either."""
    if _manifest_is_stale(project):
        dbt_resource(project).cli(["--quiet", "parse"], target_path=Path(project.target_path)).wait()
    return Path(project.manifest_path)


class SubprocessOnlyDbtResource(DbtCliResource):
    """dagster-dbt's CLI resource without two start-up costs this project never uses.

    Before every `dbt` command, `DbtCliResource.cli` runs `dbt --version` in a subprocess (to learn the
    version) and builds a dbt adapter inside the Dagster process (importing dbt-core and loading its
    macros), only for `fetch_row_counts()` / `fetch_column_metadata()`. We count rows ourselves
    (`Warehouse.model_row_counts`), and a dbt beside this Python is the dbt-core installed here, so both are
    skipped: about 7 s of CPU per dbt step on a 2-core machine (benchmarks/scale_bench.py measures it)."""

    @cached_property
    def _cli_version(self) -> Version:
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return Version(installed_version("dbt-core"))
        return super()._cli_version  # another dbt (e.g. its own venv): ask it

    def _initialize_dbt_core_adapter(self, args):
        return None  # dagster-dbt accepts no adapter; only the row-count/column-metadata helpers need one


def dbt_resource(project: DbtProject = imdb_dbt_project) -> DbtCliResource:
    executable = dbt_executable()
    if Path(executable).parent == Path(sys.executable).parent:
        # The dbt installed here, run by this Python through a module that skips the interpreter's
        # teardown once dbt is done (~0.5 s a dbt step; transform/dbt_main.py). dagster-dbt puts these
        # "global flags" right after the executable: `python -m imdb_assets.transform.dbt_main build ...`.
        return SubprocessOnlyDbtResource(
            project_dir=project,
            target=project.target,
            dbt_executable=sys.executable,
            global_config_flags=["-m", "imdb_assets.transform.dbt_main"],
        )
    return SubprocessOnlyDbtResource(project_dir=project, target=project.target, dbt_executable=executable)
