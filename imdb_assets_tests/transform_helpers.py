"""What one dbt invocation of a Dagster run left behind: its target folder, log events and compiled model."""

from __future__ import annotations

import json
from pathlib import Path

from imdb_assets.settings import DBT_PROJECT_DIR

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
