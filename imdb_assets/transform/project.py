"""The dbt project, its manifest, and the resource that runs dbt.

The project fixes no target: each environment's resource names its own (imdb_assets/environments.py),
and one manifest serves both targets (they build the same models).
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliEventMessage, DbtCliInvocation, DbtProject
from pydantic import Field

from imdb_assets.private_apis import DbtCliWithoutStartupProbes
from imdb_assets.settings import DBT_PROJECT_DIR, dbt_executable

# `dbt parse` here uses the local target: it needs neither a connection nor the prod variables. The
# image ships a manifest parsed with `--target prod` (Dockerfile); either serves both targets.
MANIFEST_TARGET = "local"
# Files whose change means a new manifest: models, tests, macros, yml properties, docs blocks.
DBT_SOURCE_SUFFIXES = {".sql", ".yml", ".yaml", ".md"}
# dbt's log levels a quiet resource does not echo (start-up, a line per model and test, timings, and
# the closing count: `imdb-assets run` prints its own line per step); warnings and errors still show.
QUIET_LEVELS = frozenset({"debug", "info"})
# Info-level events still echoed when quiet (none today; e.g. "StatsLine" for dbt's closing count).
KEPT_WHEN_QUIET: frozenset[str] = frozenset()


imdb_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _manifest_is_stale(project: DbtProject) -> bool:
    manifest = Path(project.manifest_path)
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [p for p in Path(project.project_dir).rglob("*") if p.suffix in DBT_SOURCE_SUFFIXES and "target" not in p.parts]
    return any(p.stat().st_mtime > built for p in sources)


def ensure_manifest(project: DbtProject = imdb_dbt_project) -> Path:
    """Build the manifest (`dbt parse`) when missing or older than the models; `dagster dev` and the
    Docker image prepare it too, but the CLI and tests load definitions without either."""
    if _manifest_is_stale(project):
        dbt = dbt_resource(project, target=MANIFEST_TARGET)
        dbt.cli(["--quiet", "parse"], target_path=Path(project.target_path)).wait()
    return Path(project.manifest_path)


def stdout_is_terminal() -> bool:
    isatty = getattr(sys.stdout, "isatty", None)  # a replaced sys.stdout may have none
    return bool(isatty and isatty())


def colour_flags() -> list[str]:
    # dbt colours its lines even into a pipe or a log file, where the escape codes are noise.
    return [] if stdout_is_terminal() else ["--no-use-colors"]


class _SeparateWrites(io.TextIOBase):
    """A stand-in for stdout that keeps each write apart: dagster-dbt echoes one dbt line a write."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def write(self, text: str) -> int:
        self.texts.append(text)
        return len(text)


def _hidden_when_quiet(event: DbtCliEventMessage) -> bool:
    info = event.raw_event["info"]
    return info["level"] in QUIET_LEVELS and info["name"] not in KEPT_WHEN_QUIET


def _echo_unless_hidden(texts: Iterable[str], events: Sequence[DbtCliEventMessage]) -> None:
    """Echo what dagster-dbt wrote except the lines of hidden events; output that is no dbt event at
    all (e.g. a crash's traceback) is echoed too. A text also logged as a warning or error stays."""
    hidden = {f"{e}\n" for e in events if _hidden_when_quiet(e)} - {f"{e}\n" for e in events if not _hidden_when_quiet(e)}
    sys.stdout.writelines(text for text in texts if text not in hidden)
    sys.stdout.flush()


def read_events_quietly(invocation: DbtCliInvocation) -> list[DbtCliEventMessage]:
    """All of dbt's events; of its lines, only the warnings, errors and closing summary are echoed,
    once dbt is done (dagster-dbt itself echoes every line)."""
    writes = _SeparateWrites()
    events: list[DbtCliEventMessage] = []
    try:
        with contextlib.redirect_stdout(writes):
            for event in invocation.stream_raw_events():
                events.append(event)
    finally:
        _echo_unless_hidden(writes.texts, events)
    return events


def dagster_events(invocation: DbtCliInvocation, events: Iterable[DbtCliEventMessage]) -> list[Any]:
    """The Dagster events of dbt's events, as `DbtCliInvocation.stream()` makes them."""
    return [
        dagster_event
        for event in events
        for dagster_event in event.to_default_asset_events(
            manifest=invocation.manifest,
            dagster_dbt_translator=invocation.dagster_dbt_translator,
            context=invocation.context,
            target_path=invocation.target_path,
            project=invocation.project,
        )
    ]


class SubprocessOnlyDbtResource(DbtCliWithoutStartupProbes):
    """dagster-dbt's CLI resource without two start-up costs this project never uses, able to run quiet.

    Before every `dbt` command, `DbtCliResource.cli` runs `dbt --version` in a subprocess (to learn the
    version) and builds a dbt adapter inside the Dagster process (importing dbt-core and loading its
    macros), only for `fetch_row_counts()` / `fetch_column_metadata()`. We count rows ourselves
    (`Warehouse.model_row_counts`), and a dbt beside this Python is the dbt-core installed here, so both are
    skipped: about 7 s of CPU per dbt step on a 2-core machine (benchmarks/scale_bench.py measures it).
    No public option skips them, so the override is in imdb_assets/private_apis.py."""

    quiet: bool = Field(
        default=False,
        description="Echo only dbt's warnings, errors and closing summary, not a line per model and test "
        "(dbt's full log stays in each invocation's dbt.log).",
    )

    def cli(self, args: Sequence[str], **kwargs: Any) -> DbtCliInvocation:
        # Decided per command: the same resource serves a terminal run and captured step logs.
        return super().cli([*colour_flags(), *args], **kwargs)

    def finished_events(self, invocation: DbtCliInvocation) -> list[Any]:
        """Wait for dbt and return the invocation's Dagster events (outputs, check results)."""
        if not self.quiet:
            return list(invocation.stream())
        return dagster_events(invocation, read_events_quietly(invocation))


def with_quiet(resource: SubprocessOnlyDbtResource, quiet: bool) -> SubprocessOnlyDbtResource:
    """The same resource, quiet or not (e.g. one built elsewhere, for `imdb-assets run`)."""
    if resource.quiet == quiet:
        return resource
    return type(resource)(**{**resource.model_dump(), "quiet": quiet})


def dbt_resource(
    project: DbtProject = imdb_dbt_project, target: str | None = None, quiet: bool = False
) -> SubprocessOnlyDbtResource:
    """A resource running the dbt of this environment; `target` is the profile's output (None: its default)."""
    executable = dbt_executable()
    if Path(executable).parent == Path(sys.executable).parent:
        # The dbt installed here, run by this Python through a module that skips the interpreter's
        # teardown once dbt is done (~0.5 s a dbt step; transform/dbt_main.py). dagster-dbt puts these
        # "global flags" right after the executable: `python -m imdb_assets.transform.dbt_main build ...`.
        return SubprocessOnlyDbtResource(
            project_dir=project,
            target=target,
            dbt_executable=sys.executable,
            global_config_flags=["-m", "imdb_assets.transform.dbt_main"],
            quiet=quiet,
        )
    return SubprocessOnlyDbtResource(project_dir=project, target=target, dbt_executable=executable, quiet=quiet)
