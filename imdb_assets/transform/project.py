"""The dbt project, its target for the current environment, and its manifest."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from imdb_assets.settings import DBT_PROJECT_DIR, current_env

DBT_TARGETS = {"local": "local", "prod": "prod"}


def dbt_executable() -> str:
    # dbt may not be on PATH (e.g. a venv used without activation): use the one beside this Python.
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


def dbt_resource(project: DbtProject = imdb_dbt_project) -> DbtCliResource:
    return DbtCliResource(project_dir=project, target=project.target, dbt_executable=dbt_executable())
