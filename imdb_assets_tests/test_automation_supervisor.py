"""`make dev`'s supervisor: one signal stops the whole process tree, within its bound, and says how.

Real processes: the supervisor runs in its own interpreter over a small Python tree (a child that
starts a grandchild and writes both PIDs to a file), and is signalled the way a terminal or a test is.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from imdb_assets.automation.supervisor import is_running as alive
from imdb_assets.settings import REPO_DIR

# argv: pid file, how the child takes SIGTERM (ignore | exit0), how the grandchild does, whether the
# child exits by itself with code 3 once the grandchild runs (stay | exit3).
TREE = r"""
import os, signal, subprocess, sys, time
pid_file, child_mode, grandchild_mode, lifetime = sys.argv[1:5]
GRANDCHILD = '''
import signal, sys, time
if sys.argv[1] == "ignore":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
else:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print("ready", flush=True)
while True:
    time.sleep(1)
'''
if child_mode == "ignore":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
else:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
grandchild = subprocess.Popen([sys.executable, "-c", GRANDCHILD, grandchild_mode], stdout=subprocess.PIPE)
grandchild.stdout.readline()  # its handler is in place
tmp = pid_file + ".tmp"
with open(tmp, "w") as f:
    f.write(f"{os.getpid()} {grandchild.pid}")
os.replace(tmp, pid_file)
if lifetime == "exit3":
    sys.exit(3)
while True:
    time.sleep(1)
"""

SUPERVISE = """
import sys
from imdb_assets.automation.supervisor import Supervisor
stop_seconds, tree, *argv = sys.argv[1:]
code = Supervisor("supervisor-test", stop_seconds=float(stop_seconds), settle_seconds=1, leftover_seconds=2).run(
    [sys.executable, "-c", tree, *argv]
)
print(f"exit {code}", flush=True)
"""


class Tree:
    def __init__(self, tmp_path: Path, child: str, grandchild: str, lifetime: str = "stay", stop_seconds=2):
        self.pid_file = tmp_path / "pids"
        self.process = subprocess.Popen(
            [sys.executable, "-c", SUPERVISE, str(stop_seconds), TREE, str(self.pid_file), child, grandchild, lifetime],
            cwd=REPO_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def pids(self) -> tuple[int, int]:
        deadline = time.monotonic() + 30
        while not self.pid_file.exists():
            assert time.monotonic() < deadline, "the tree never started"
            time.sleep(0.05)
        child, grandchild = map(int, self.pid_file.read_text().split())
        return child, grandchild

    def finish(self, timeout: float = 30) -> tuple[str, str]:
        try:
            return self.process.communicate(timeout=timeout)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)


@pytest.fixture
def trees():
    started: list[Tree] = []
    yield started
    for tree in started:  # never leave a test tree running, whatever the assertions said
        for pid in tree.pids() if tree.pid_file.exists() else ():
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_tree_that_ignores_sigterm_is_killed_after_the_bounds(tmp_path: Path, trees):
    tree = Tree(tmp_path, "ignore", "ignore", stop_seconds=2)
    trees.append(tree)
    child, grandchild = tree.pids()
    started = time.monotonic()
    tree.process.send_signal(signal.SIGTERM)
    out, err = tree.finish()
    took = time.monotonic() - started
    assert not alive(child) and not alive(grandchild)
    assert 2 <= took < 15, took
    assert "SIGTERM received; stopping (up to 2 s)" in err
    assert f"still running after 2 s: {child} (" in err and f"{grandchild} (" in err
    assert "still running after SIGTERM" in err and "sending SIGKILL" in err
    assert out.strip() == "exit -9"


def test_a_child_that_stops_is_waited_for_and_its_orphan_is_terminated(tmp_path: Path, trees):
    tree = Tree(tmp_path, "exit0", "exit0", stop_seconds=60)
    trees.append(tree)
    child, grandchild = tree.pids()
    started = time.monotonic()
    tree.process.send_signal(signal.SIGINT)  # what Ctrl-C in a terminal sends
    out, err = tree.finish()
    assert time.monotonic() - started < 10
    assert not alive(child) and not alive(grandchild)
    assert "SIGINT received" in err
    assert f"still running after it stopped: {grandchild} (" in err and "sending SIGTERM" in err
    assert "SIGKILL" not in err
    assert out.strip() == "exit 0"  # the child's own code


def test_a_child_that_exits_by_itself_gives_its_code_and_leaves_nothing(tmp_path: Path, trees):
    tree = Tree(tmp_path, "exit0", "exit0", lifetime="exit3")
    trees.append(tree)
    child, grandchild = tree.pids()
    out, err = tree.finish()
    assert not alive(child) and not alive(grandchild)
    assert out.strip() == "exit 3"
    assert f"still running after it exited: {grandchild} (" in err


def test_a_second_signal_cuts_the_wait_short(tmp_path: Path, trees):
    tree = Tree(tmp_path, "ignore", "exit0", stop_seconds=120)
    trees.append(tree)
    child, grandchild = tree.pids()
    started = time.monotonic()
    tree.process.send_signal(signal.SIGTERM)
    time.sleep(1)
    assert tree.process.poll() is None  # still giving the child its time
    tree.process.send_signal(signal.SIGINT)  # a second Ctrl-C
    _, err = tree.finish()
    assert time.monotonic() - started < 15
    assert not alive(child) and not alive(grandchild)
    assert "still running after 120 s" not in err
    assert f"still running after it was interrupted again: {child} (" in err


def test_without_a_child_left_the_group_is_found_empty():
    from imdb_assets.automation.supervisor import group_members

    probe = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True)
    try:
        assert group_members(probe.pid) == [probe.pid]
    finally:
        probe.kill()
        probe.wait()
    assert group_members(probe.pid) == []
