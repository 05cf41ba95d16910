"""Run a process tree in its own process group, and stop all of it, within a bound, on one signal.

`dagster dev` stops its webserver and daemon through shutdown pipes and then its code server, waiting up
to a minute for each; run workers, dbt and multiprocessing's resource tracker (which ignores SIGTERM)
are not its to stop. So the child gets one SIGTERM (only one: a second KeyboardInterrupt would cut its
own orderly shutdown short), a bounded time to stop, and then whatever is left of its process group is
terminated and, if need be, killed. Each escalation is said on stderr.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def is_running(pid: int) -> bool:
    """True while the process exists and is not a zombie (a zombie has exited; only its parent's wait is missing)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in a process group."""
    members = []
    for pid in psutil.pids():
        try:
            in_group = os.getpgid(pid) == pgid
        except (ProcessLookupError, PermissionError):  # gone since listed, or another session's (not Linux)
            continue
        if in_group and is_running(pid):
            members.append(pid)
    return sorted(members)


def describe(pid: int) -> str:
    try:
        command = " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        command = "?"
    return f"{pid} ({command.strip()[:100]})"


class Supervisor:
    """`run(command)` starts it in a new process group; a stop signal to this process stops the group."""

    def __init__(
        self,
        name: str,
        stop_seconds: float = 30.0,
        settle_seconds: float = 5.0,
        leftover_seconds: float = 10.0,
        poll: float = 0.2,
    ):
        self.name, self.poll = name, poll
        # How long the child may take to stop; then how long what it leaves may take to end by itself (a
        # code server asked to shut down, the resource tracker once its users are gone); then after SIGTERM.
        self.stop_seconds, self.settle_seconds, self.leftover_seconds = stop_seconds, settle_seconds, leftover_seconds
        self.signals: list[int] = []

    def say(self, message: str) -> None:
        print(f"{self.name}: {message}", file=sys.stderr, flush=True)

    def _on_signal(self, signum: int, _frame) -> None:
        self.signals.append(signum)

    def _wait(self, seconds: float, done) -> bool:
        """Wait until done() or the time is up; a further signal cuts the wait short (a second Ctrl-C)."""
        seen = len(self.signals)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if done():
                return True
            if len(self.signals) > seen:
                return done()
            time.sleep(self.poll)
        return done()

    def _signal_group(self, pgid: int, signum: int) -> None:
        try:
            os.killpg(pgid, signum)
        except ProcessLookupError:
            pass

    def run(self, command: list[str]) -> int:
        """Run command until it exits or a stop signal arrives; return its exit code (nothing is left)."""
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_signal)
        # A session of its own: its group gets no terminal signals (they come here) and never reads the tty.
        child = subprocess.Popen(command, start_new_session=True, stdin=subprocess.DEVNULL)
        pgid = child.pid
        while child.poll() is None and not self.signals:
            time.sleep(self.poll)
        after = "it exited"
        if child.poll() is None:
            self.say(f"{signal.Signals(self.signals[0]).name} received; stopping (up to {self.stop_seconds:.0f} s)")
            child.send_signal(signal.SIGTERM)
            self._wait(self.stop_seconds, lambda: child.poll() is not None)
            if child.poll() is not None:
                after = "it stopped"
            else:
                after = "it was interrupted again" if len(self.signals) > 1 else f"{self.stop_seconds:.0f} s"
        if child.poll() is not None:
            self._wait(self.settle_seconds, lambda: not group_members(pgid))
        if group_members(pgid):
            self.say(f"still running after {after}: {self._listing(pgid)}; sending SIGTERM")
            self._signal_group(pgid, signal.SIGTERM)
            if not self._wait(self.leftover_seconds, lambda: not group_members(pgid)):
                self.say(f"still running after SIGTERM: {self._listing(pgid)}; sending SIGKILL")
                self._signal_group(pgid, signal.SIGKILL)
        return child.wait()

    @staticmethod
    def _listing(pgid: int) -> str:
        return ", ".join(describe(pid) for pid in group_members(pgid)) or "nothing"
