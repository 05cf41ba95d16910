"""Start `dagster dev` through the project's wrapper in its own process group, and make sure it all stops.

Every process it spawns (webserver, daemon, code server, run workers, dbt) inherits DAGSTER_HOME, so the
processes left behind are found by that environment value, even if one re-parents or starts a session.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from imdb_assets.automation.supervisor import is_running
from imdb_assets.settings import REPO_DIR


def processes_with_env(name: str, value: str) -> list[int]:
    """PIDs of this user's processes whose environment holds `name=value` (Linux /proc)."""
    needle = f"{name}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except (PermissionError, FileNotFoundError, ProcessLookupError):
            continue
    return found


def _alive(pids: list[int]) -> list[int]:
    return [pid for pid in pids if is_running(pid)]


class DagsterDev:
    """`python -m imdb_assets.automation.devserver` with a private DAGSTER_HOME, stopped with SIGTERM.

    The wrapper supervises `dagster dev` in a process group of its own, so the signal reaches the wrapper
    alone; everything else must stop because of it."""

    def __init__(self, dagster_home: Path, env: dict[str, str], args: list[str], log_path: Path):
        self.dagster_home, self.log_path = dagster_home, log_path
        self.env = {**env, "DAGSTER_HOME": str(dagster_home)}
        self.args = args
        self.process: subprocess.Popen | None = None

    def start(self) -> DagsterDev:
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "imdb_assets.automation.devserver", *self.args],
            cwd=REPO_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, as a terminal would give it
        )
        log.close()
        return self

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def code_server_error(self) -> str | None:
        """The code server's first logged error: `dagster dev` keeps running without it, so look."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return next((line for line in text.splitlines() if "dagster.code_server" in line and "ERROR" in line), None)

    def leftovers(self) -> list[int]:
        return _alive(processes_with_env("DAGSTER_HOME", str(self.dagster_home)))

    def stop(self, grace_seconds: float = 60.0) -> list[int]:
        """SIGTERM the wrapper's group and wait; return the PIDs still alive after the grace period (the
        wrapper's own bound: 30 s for `dagster dev`, 5 s for what it leaves to end, 10 s after SIGTERM)."""
        if self.process is None:
            return []
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + grace_seconds
        while time.monotonic() < deadline:
            self.process.poll()
            if self.process.returncode is not None and not self.leftovers():
                break
            time.sleep(0.5)
        self.process.poll()
        return self.leftovers() + ([self.process.pid] if self.process.returncode is None else [])

    def kill_everything(self) -> None:
        """Last resort, also on test failure: SIGKILL the group and every process carrying our DAGSTER_HOME."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for pid in self.leftovers():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
