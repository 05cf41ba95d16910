"""One line per step of a run on the terminal: the Dagster logger behind `imdb-assets run`'s progress.

Dagster's console logger prints every event (and a failed step's whole traceback); a person running the
pipeline wants to see which step is running and how long each took. This logger listens to the step
events only: on a terminal a step's line appears when it starts and is completed in place when it ends;
elsewhere (a pipe, a CI log) only the finished line is written, so the output stays one line per step.
It is active only in runs whose config names it (`{"loggers": {"progress": {}}}`).
"""

from __future__ import annotations

import logging
import sys
import time

from dagster import DagsterEventType, Field, logger

_STARTED, _ENDED = DagsterEventType.STEP_START.value, (DagsterEventType.STEP_SUCCESS.value, DagsterEventType.STEP_FAILURE.value)


class StepProgressHandler(logging.Handler):
    """Writes a line per step to `stream`: `  ok  movies_csv  0.4 s` (or `FAILED ... : first error line`)."""

    def __init__(self, stream=None) -> None:
        super().__init__(logging.DEBUG)
        self.stream = stream or sys.stderr
        self.started_at: dict[str, float] = {}
        self.open_line = False

    def _interactive(self) -> bool:
        return bool(getattr(self.stream, "isatty", lambda: False)())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._emit(record)
        except Exception:  # noqa: BLE001 - a progress line must never fail the run it reports on
            self.handleError(record)

    def _emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        if event is None or not event.step_key:
            return
        kind = event.event_type_value
        if kind == _STARTED:
            self.started_at[event.step_key] = time.monotonic()
            if self._interactive():
                self.stream.write(f"  ..  {event.step_key}")
                self.stream.flush()
                self.open_line = True
        elif kind in _ENDED:
            seconds = time.monotonic() - self.started_at.pop(event.step_key, time.monotonic())
            run_id = (getattr(record, "dagster_meta", None) or {}).get("run_id", "")
            self._write_end(run_id, event, kind, seconds)

    def _write_end(self, run_id: str, event, kind: str, seconds: float) -> None:
        prefix = "\r\033[K" if self.open_line and self._interactive() else ""
        self.open_line = False
        self.stream.write(prefix + step_line(event.step_key, kind == DagsterEventType.STEP_SUCCESS.value, seconds) + "\n")
        self.stream.flush()
        ENDED_STEPS.add((run_id, event.step_key))


# (run id, step) of every finished step a line was written for, in this process.
ENDED_STEPS: set[tuple[str, str]] = set()


def step_line(step_key: str, succeeded: bool, seconds: float) -> str:
    if succeeded:
        return f"  ok  {step_key:<26} {seconds:6.1f} s"
    # The reason is the run's one error line (imdb-assets run prints it); here only the step.
    return f"  FAILED  {step_key:<22} {seconds:6.1f} s"


def write_missing_step_lines(instance, run_id: str, stream=None) -> None:
    """Lines for the finished steps of `run_id` the logger did not get to write, from the run's step stats.

    Dagster hands step events to a run's loggers through two log managers (orchestration and
    execution); now and then the last step's events do not reach this logger. The event log has them."""
    stream = stream or sys.stderr
    for stats in instance.get_run_step_stats(run_id):
        if (run_id, stats.step_key) in ENDED_STEPS or stats.end_time is None or stats.start_time is None:
            continue
        succeeded = stats.status is not None and stats.status.value == "SUCCESS"
        stream.write(step_line(stats.step_key, succeeded, stats.end_time - stats.start_time) + "\n")
        ENDED_STEPS.add((run_id, stats.step_key))
    stream.flush()


@logger(description="One line per step on stderr (what `imdb-assets run` shows).")
def step_progress_logger(_init_context) -> logging.Logger:
    progress = logging.getLogger("imdb_assets.step_progress")
    progress.handlers = [StepProgressHandler()]
    progress.setLevel(logging.DEBUG)
    progress.propagate = False
    return progress


@logger(
    {"log_level": Field(str, is_required=False, default_value="DEBUG", description="The logger's threshold.")},
    description="Dagster's event log as plain text on stderr: what `imdb-assets run --verbose` shows when "
    "stderr is not a terminal (Dagster's own console logger writes colour codes into pipes and files).",
)
def plain_console_logger(init_context) -> logging.Logger:
    plain = logging.getLogger("imdb_assets.event_log")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s - %(levelname)s - %(message)s"))
    plain.handlers = [handler]
    plain.setLevel(init_context.logger_config["log_level"])
    plain.propagate = False
    return plain
