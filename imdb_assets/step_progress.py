"""One line per step of a run on the terminal: what `imdb-assets run` (and `monitor`) show while they work.

Dagster's console logger prints every event (and a failed step's whole traceback); a person running the
pipeline wants to see which step is running and how long each took. The lines are read from the run's
own event log, the record Dagster keeps of every step, by a thread that polls it while the run executes
in-process: so no step is ever left without its line and the lines come in the order the steps finished.
(A Dagster logger receiving the step events was tried first; now and then it did not get the last step's
events.) On a terminal a step's line appears when it starts and is completed in place when it ends;
elsewhere (a pipe, a CI log) only the finished line is written, so the output stays one line per step.
"""

from __future__ import annotations

import logging
import sys
import threading

from dagster import DagsterEventType, DagsterInstance, Field, logger

_STEP_EVENTS = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
POLL_SECONDS = 0.2


def step_line(step_key: str, succeeded: bool, seconds: float) -> str:
    if succeeded:
        return f"  ok  {step_key:<26} {seconds:6.1f} s"
    # The reason is the run's one error line (imdb-assets run prints it); here only the step.
    return f"  FAILED  {step_key:<22} {seconds:6.1f} s"


class StepProgress:
    """`with StepProgress(instance, run_id): job.execute_in_process(..., run_id=run_id)` writes a line
    per step of that run to `stream` (stderr): `  ok  movies_csv  0.4 s` or `  FAILED  movies_csv ...`."""

    def __init__(self, instance: DagsterInstance, run_id: str, stream=None, poll_seconds: float = POLL_SECONDS):
        self.instance = instance
        self.run_id = run_id
        self.stream = stream or sys.stderr
        self.poll_seconds = poll_seconds
        # Asked now: while a step runs, Dagster's log capture points the process's stderr elsewhere.
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self._cursor: str | None = None
        self._started_at: dict[str, float] = {}
        self._open_line = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll_until_stopped, name="step-progress", daemon=True)

    def __enter__(self) -> StepProgress:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self._write_new_events()  # whatever the run recorded after the last poll
        if self._open_line:
            self.stream.write("\n")
            self.stream.flush()

    def _poll_until_stopped(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            self._write_new_events()

    def _write_new_events(self) -> None:
        try:
            connection = self.instance.get_records_for_run(self.run_id, cursor=self._cursor, of_type=_STEP_EVENTS)
        except Exception:  # noqa: BLE001 - a progress line must never fail the run it reports on
            return
        self._cursor = connection.cursor
        for record in connection.records:
            entry = record.event_log_entry
            event = entry.dagster_event
            if event is None or not event.step_key:
                continue
            if event.event_type == DagsterEventType.STEP_START:
                self._started_at[event.step_key] = entry.timestamp
                if self.interactive:
                    self._end_open_line()
                    self.stream.write(f"  ..  {event.step_key}")
                    self._open_line = True
            else:
                seconds = entry.timestamp - self._started_at.pop(event.step_key, entry.timestamp)
                prefix = "\r\033[K" if self._open_line and self.interactive else ""
                self._open_line = False
                succeeded = event.event_type == DagsterEventType.STEP_SUCCESS
                self.stream.write(prefix + step_line(event.step_key, succeeded, seconds) + "\n")
        self.stream.flush()

    def _end_open_line(self) -> None:
        if self._open_line:  # another step started before the open one ended (not with the in-process executor)
            self.stream.write("\n")
            self._open_line = False


@logger(description="No output: the run's events go only to its event log (where StepProgress reads them).")
def silent_logger(_init_context) -> logging.Logger:
    # A run whose config names no logger gets Dagster's console logger: this one takes its place.
    silent = logging.getLogger("imdb_assets.silent")
    silent.handlers = [logging.NullHandler()]
    silent.propagate = False
    return silent


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
