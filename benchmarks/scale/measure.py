"""Run one command as a child process and measure it: wall time, CPU time, peak memory, and how busy the
rest of the machine was meanwhile (the machine is shared, so every number carries its own load reading).

Peak memory is reported two ways:
* `peak_rss_mb`: the largest sum of RSS over the child and all its descendants (a `dbt` subprocess runs
  beside the Dagster process), sampled every `SAMPLE_SECONDS` by psutil -- what the machine must hold;
* `max_process_rss_mb`: the kernel's exact high-water mark of the largest single process in the tree
  (`ru_maxrss` from `wait4`), which sampling cannot miss.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

SAMPLE_SECONDS = 0.05


@dataclass
class Measurement:
    label: str
    returncode: int
    wall_seconds: float
    cpu_seconds: float  # user + system of the whole process tree
    peak_rss_mb: float
    max_process_rss_mb: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    others_cpu_share: float  # CPU used by other processes meanwhile, as a share of all cores (0..1)
    stderr_tail: str = ""
    extra: dict = field(default_factory=dict)  # what the child reported about itself

    def as_dict(self) -> dict:
        data = asdict(self)
        for key in ("wall_seconds", "cpu_seconds", "peak_rss_mb", "max_process_rss_mb", "others_cpu_share"):
            data[key] = round(data[key], 3)
        return data


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


class TreeSampler(threading.Thread):
    """Samples the summed RSS and CPU time of a process tree until stopped."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self._root = psutil.Process(pid)
        self._stop_event = threading.Event()
        self.peak_rss = 0
        self._cpu_by_pid: dict[int, float] = {}  # last CPU time seen per process (exited ones keep theirs)

    def run(self) -> None:
        while not self._stop_event.is_set():
            rss = 0
            for proc in _tree(self._root):
                try:
                    with proc.oneshot():
                        rss += proc.memory_info().rss
                        times = proc.cpu_times()
                        self._cpu_by_pid[proc.pid] = times.user + times.system
                except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
                    continue
            self.peak_rss = max(self.peak_rss, rss)
            self._stop_event.wait(SAMPLE_SECONDS)

    def sampled_cpu(self) -> float:
        return sum(self._cpu_by_pid.values())

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _busy_cpu_seconds() -> float:
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def wait_for_quiet(max_busy_share: float, timeout_seconds: float, window_seconds: float = 3.0) -> float:
    """Wait until the machine's CPU use over `window_seconds` is below `max_busy_share` (or the timeout);
    return the share seen last. Other helpers' test runs share these cores."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        busy = psutil.cpu_percent(interval=window_seconds) / 100.0
        if busy <= max_busy_share or time.monotonic() >= deadline:
            return busy


def run_measured(label: str, command: list[str], env: dict[str, str], cwd: Path, log_path: Path) -> Measurement:
    """Run `command`, sampling its process tree; stderr goes to `log_path`, stdout to `<log_path>.out`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    busy_before = _busy_cpu_seconds()
    start = time.perf_counter()
    with open(log_path, "wb") as log, open(stdout_path(log_path), "wb") as out:
        # A new session, so a benchmark interrupted half-way can stop the whole tree (dbt included).
        proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=log, start_new_session=True)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            _kill_tree(proc.pid)
            raise
        finally:
            sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    busy = _busy_cpu_seconds() - busy_before
    # wait4's rusage covers the child and every descendant it waited for (dbt included).
    cpu = max(usage.ru_utime + usage.ru_stime, sampler.sampled_cpu())
    cores = psutil.cpu_count() or 1
    others = max(0.0, busy - cpu) / (wall * cores) if wall > 0 else 0.0
    tail = log_path.read_text(errors="replace")[-4000:] if proc.returncode else ""
    return Measurement(
        label=label,
        returncode=proc.returncode,
        wall_seconds=wall,
        cpu_seconds=cpu,
        peak_rss_mb=max(sampler.peak_rss, usage.ru_maxrss * 1024) / 2**20,
        max_process_rss_mb=usage.ru_maxrss / 1024,  # Linux reports kilobytes
        load_before=tuple(round(x, 2) for x in load_before),
        load_after=tuple(round(x, 2) for x in os.getloadavg()),
        others_cpu_share=min(1.0, others),
        stderr_tail=tail,
    )


def stdout_path(log_path: Path) -> Path:
    return log_path.with_name(log_path.name + ".out")


def _kill_tree(pid: int) -> None:
    try:
        os.killpg(pid, 15)
        time.sleep(2)
        os.killpg(pid, 9)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
