"""Runs of a process that was killed are marked failed the next time the home is used.

A run executed in the `imdb-assets` process itself stays STARTED forever in the instance when that
process is killed: nothing else knows it died (under `dagster dev`, the daemon's run monitoring does
this job for the runs it launched). Each CLI run carries its process's pid and start time as a tag;
a STARTED run whose process no longer exists is reported failed with one line saying why.
"""

from __future__ import annotations

import os

import psutil
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

CLI_PROCESS_TAG = "imdb_assets/cli_process"
_UNFINISHED = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def _process_key(pid: int) -> str:
    # The start time tells a reused pid from the process that ran the run.
    return f"{pid}@{psutil.Process(pid).create_time():.2f}"


def cli_process_tags() -> dict[str, str]:
    """Tags for a run executed in this process."""
    return {CLI_PROCESS_TAG: _process_key(os.getpid())}


def _alive(process_key: str) -> bool:
    pid, _, _started = process_key.partition("@")
    try:
        return pid.isdigit() and _process_key(int(pid)) == process_key
    except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
        return False


def fail_runs_of_ended_processes(instance: DagsterInstance) -> list[str]:
    """Mark failed every unfinished CLI run whose process has ended; one line per run."""
    notes = []
    for run in instance.get_runs(filters=RunsFilter(statuses=_UNFINISHED)):
        process_key = run.tags.get(CLI_PROCESS_TAG)
        if not process_key or _alive(process_key):
            continue
        message = (
            f"run {run.run_id[:8]} ({run.job_name}) marked failed: the imdb-assets process "
            f"(pid {process_key.partition('@')[0]}) that ran it ended before the run did"
        )
        instance.report_run_failed(run, message=message)
        notes.append(message)
    return notes
