"""Child processes that end with their parent: a killed `imdb-assets run` must not leave dbt merging rows.

On Linux the kernel sends a chosen signal to a process when the thread that forked it ends
(`prctl(PR_SET_PDEATHSIG)`); a child asks for it first thing. If the parent is already gone by then
(it died between the fork and the request), the child ends at once instead.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PARENT_PID_ENV = "IMDB_ASSETS_PARENT_PID"
_PR_SET_PDEATHSIG = 1


def parent_environment() -> dict[str, str]:
    """Variables a child started now needs to know its parent (read by `end_with_parent`)."""
    return {PARENT_PID_ENV: str(os.getpid())}


def end_with_parent(sig: int = signal.SIGTERM) -> None:
    """Ask for `sig` when the parent dies; exit now if the parent named in the environment is gone."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            return  # not allowed here (e.g. a sandbox): the child runs as before
    expected = os.environ.get(PARENT_PID_ENV)
    if expected and expected.isdigit() and os.getppid() != int(expected):
        os._exit(128 + int(sig))
