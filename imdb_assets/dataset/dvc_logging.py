"""DVC's log lines go to whatever `sys.stderr` is when they are logged.

Importing `dvc` attaches console handlers to its loggers that hold the `sys.stdout` / `sys.stderr` of
that moment (wrapped by colorama). A process that swaps its streams afterwards (a test's capture, a
step's log capture, `contextlib.redirect_stdout`) then has DVC write to a closed stream, which DVC turns
into an exception: the same command failed or passed depending on what ran before it in the process.
Here DVC's stream handlers are replaced, once, by one that looks up `sys.stderr` at each line.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

DVC_LOGGERS = ("dvc", "dvc_objects", "dvc_data")


class _CurrentStderrHandler(logging.StreamHandler):
    """A stream handler whose stream is always the current `sys.stderr`."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # StreamHandler.__init__ / setStream assign it: the lookup wins
        pass


class _DvcFormatter(logging.Formatter):
    # DVC's own style: INFO lines bare, others prefixed by their level ("WARNING: ...").
    def format(self, record: logging.LogRecord) -> str:
        message = super().format(record)
        return message if record.levelno == logging.INFO else f"{record.levelname}: {message}"


def route_dvc_logs() -> None:
    """Import DVC (which installs its handlers) and swap its stream handlers for one that writes to the
    current `sys.stderr`. Idempotent; call it before using DVC's API."""
    import dvc  # noqa: F401  (its import runs dvc.logger.setup)

    for name in DVC_LOGGERS:
        logger = logging.getLogger(name)
        if any(isinstance(handler, _CurrentStderrHandler) for handler in logger.handlers):
            continue
        for handler in list(logger.handlers):
            if isinstance(handler, logging.StreamHandler):
                logger.removeHandler(handler)
        handler = _CurrentStderrHandler()
        handler.setLevel(logging.INFO)
        handler.setFormatter(_DvcFormatter("%(message)s"))
        logger.addHandler(handler)


@contextlib.contextmanager
def dvc_lines_muted(logger_name: str, below: int = logging.WARNING) -> Iterator[None]:
    """Drop one of DVC's loggers' lines under `below` for a while: its INFO lines (e.g. "Initialized DVC
    repository.", "Removed 3 objects") or a warning this project reports in its own words."""
    dvc_logger = logging.getLogger(logger_name)
    level = dvc_logger.level
    dvc_logger.setLevel(below)
    try:
        yield
    finally:
        dvc_logger.setLevel(level)
