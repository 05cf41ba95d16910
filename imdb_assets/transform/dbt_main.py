"""`python -m imdb_assets.transform.dbt_main ARGS`: dbt's own command line, without Python's teardown.

Once dbt is done, the interpreter spends ~0.5-0.8 s finalizing the thousands of objects dbt imported; the
dbt step waits for it every run. Here, after dbt returns, the exit handlers run as usual (dbt-duckdb
closes the warehouse in one, which is when DuckDB checkpoints), logs and streams are flushed, and the
process then ends at once. Only a dbt installed beside this Python is run so (transform/project.py).
It also ends when the process that started it dies (parent_death.py).
"""

from __future__ import annotations

import atexit
import logging
import os
import sys

from imdb_assets.parent_death import end_with_parent


def main() -> None:
    end_with_parent()  # a killed run must not leave dbt writing to the warehouse
    from dbt.cli.main import cli

    try:
        cli(prog_name="dbt")
        code = 0
    except SystemExit as exc:  # click ends every command with SystemExit
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)  # what the interpreter would print for it
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    atexit._run_exitfuncs()  # the registered exit handlers (dbt-duckdb closes the warehouse), run now
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
