"""`python -m imdb_assets.transform.dbt_main ARGS`: dbt's own command line, without Python's teardown.

Once dbt is done, the interpreter spends ~0.5-0.8 s finalizing the thousands of objects dbt imported; the
dbt step waits for it every run. Here dbt exits as usual and the exit handlers run as usual (dbt-duckdb
closes the warehouse in one, which is when DuckDB checkpoints); the last of them, registered before dbt is
imported, flushes logs and streams and then ends the process at once. Only a dbt installed beside this
Python is run so (transform/project.py). It also ends when the process that started it dies
(parent_death.py).
"""

from __future__ import annotations

import atexit
import logging
import os
import sys

from imdb_assets.parent_death import end_with_parent

# Until dbt has returned, an exit is a failure (e.g. an exception escaping dbt's command line).
_exit_code = 1


def _end_now() -> None:
    """The last exit handler (atexit runs them last registered first): end without the teardown."""
    logging.shutdown()  # logging's own exit handler, registered before this one, would not run
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_code)


def main() -> None:
    global _exit_code
    atexit.register(_end_now)  # before dbt is imported, so that every handler of dbt's runs before it
    end_with_parent()  # a killed run must not leave dbt writing to the warehouse
    from dbt.cli.main import cli

    try:
        cli(prog_name="dbt")
        _exit_code = 0
    except SystemExit as exc:  # click ends every command with SystemExit
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)  # what the interpreter would print for it
        _exit_code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    sys.exit(_exit_code)


if __name__ == "__main__":
    main()
