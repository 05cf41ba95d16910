"""Named points where a test can make this process die at once, to show every step is crash-consistent.

`IMDB_ASSETS_CRASH_AT=<point>` makes the process `os._exit` when it reaches that point, as a `kill -9`
or a power cut would stop it: no exception handler, `finally` block or exit hook runs. Inert unless the
variable names the point, and always inert in the prod environment (settings.crash_point_requested).
"""

from __future__ import annotations

import os

from imdb_assets.settings import crash_point_requested

CRASH_EXIT_CODE = 137  # what a shell reports for a process killed by SIGKILL


def crash_point(name: str) -> None:
    if crash_point_requested() == name:
        os._exit(CRASH_EXIT_CODE)
