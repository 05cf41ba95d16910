"""`dagster dev` for this project, safe to start from Make, scripts and tests.

Usage: `python -m imdb_assets.automation.devserver [dagster dev options]` (what `make dev` runs).

What plain `dagster dev` gets wrong here:
- Started in the background from a non-interactive shell it inherits *ignored* SIGINT/SIGTERM, so it
  cannot be stopped and orphans its webserver, daemon and code server. Ignored dispositions survive
  exec; they are reset to the default first.
- Stopping it can leave processes behind or take minutes: it waits up to a minute each for its webserver
  and daemon, and run workers, dbt and multiprocessing's resource tracker are not its to stop. It runs
  under `Supervisor`, so one SIGINT/SIGTERM/SIGHUP here stops the whole tree within 45 s.
- Its instance must not run two runs at once against the local DuckDB file (one writer), must not
  phone home and must not greet with a pop-up: the instance's dagster.yaml gets those settings (only
  keys the file does not already set are added).
- On a fresh DAGSTER_HOME its webserver, daemon and code server create the SQLite storage at the same
  moment and can stamp the schema twice ("alembic_version has more than one head"), killing the code
  server; the storage is created once here, before they start.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import yaml

from imdb_assets.automation.supervisor import Supervisor
from imdb_assets.files import atomic_write_text
from imdb_assets.settings import local_paths, user_dagster_home

# Missing keys are filled in; a value the user set is never overwritten.
INSTANCE_DEFAULTS = {
    "telemetry": {"enabled": False},
    "nux": {"enabled": False},
    # The local warehouse is one DuckDB file with a single writer: queue runs one at a time.
    "run_queue": {"max_concurrent_runs": 1},
}

RESET_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def _fill_missing(config: dict, defaults: dict) -> dict:
    merged = dict(config)
    for key, value in defaults.items():
        if key not in merged or merged[key] is None:
            merged[key] = value
        elif isinstance(value, dict) and isinstance(merged[key], dict):
            merged[key] = _fill_missing(merged[key], value)
    return merged


def prepare_instance(dagster_home: Path) -> Path:
    """Create DAGSTER_HOME and give its dagster.yaml the settings local development needs."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    config_path = dagster_home / "dagster.yaml"
    current = yaml.safe_load(config_path.read_text()) if config_path.exists() else None
    if current is not None and not isinstance(current, dict):
        raise ValueError(f"{config_path}: expected a YAML mapping of instance settings")
    merged = _fill_missing(current or {}, INSTANCE_DEFAULTS)
    if merged != current:
        atomic_write_text(config_path, yaml.safe_dump(merged, sort_keys=False))
    return config_path


def initialize_storage(dagster_home: Path) -> None:
    """Create the instance's storage (SQLite files by default) in this one process."""
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(dagster_home)):
        pass


def reset_signal_handlers() -> None:
    """Undo inherited ignored or blocked signals: both survive exec, into `dagster dev`."""
    for signum in RESET_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, RESET_SIGNALS)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    dagster_home = user_dagster_home() or local_paths().dagster_home
    prepare_instance(dagster_home)
    initialize_storage(dagster_home)
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    # dbt (and the `dagster` entry points) beside this interpreter, even if the venv is not activated.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    print(f"dagster dev with DAGSTER_HOME={dagster_home}", file=sys.stderr, flush=True)
    reset_signal_handlers()
    code = Supervisor("devserver").run([sys.executable, "-m", "dagster", "dev", *args])
    sys.exit(code if code >= 0 else 128 - code)  # killed by signal N: the shell's 128 + N


if __name__ == "__main__":
    main()
