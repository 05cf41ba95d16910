"""One writer per home: a second `run` or `ingest` on a home in use stops at once, in one line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from imdb_assets.cli import main

HOLDER = (
    "import sys\n"
    "from pathlib import Path\n"
    "from imdb_assets.home_lock import home_lock\n"
    "with home_lock(Path(sys.argv[1]), 'run'):\n"
    "    print('locked', flush=True)\n"
    "    sys.stdin.read()\n"
)


def test_a_second_writer_on_a_home_in_use_stops_in_one_line_and_the_lock_ends_with_its_holder(imdb_home: Path, capsys):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(imdb_home)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        for command in (["run"], ["ingest", "--source", "/nowhere", "--snapshot-date", "2026-11-01"]):
            assert main(command) == 1
            [line] = capsys.readouterr().err.strip().splitlines()
            assert line == (
                f"imdb-assets {command[0]}: error: imdb-assets run (pid {holder.pid}) is using {imdb_home}; "
                "wait for it to finish, or use another IMDB_ASSETS_HOME"
            )
        assert not (imdb_home / "warehouse").exists()  # nothing was started
    finally:
        holder.kill()  # as a kill -9 would end it: the kernel releases its lock
        holder.wait()
    assert main(["ingest", "--source", "/nowhere", "--snapshot-date", "2026-11-01"]) == 1
    assert "is using" not in capsys.readouterr().err  # got past the lock (and failed on the source)


@pytest.mark.slow  # one whole run (~20 s)
def test_two_runs_started_together_on_one_home_give_one_run_and_one_clear_refusal(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env["IMDB_ASSETS_HOME"] = str(tmp_path / "home")
    command = [str(Path(sys.executable).parent / "imdb-assets"), "run", "--snapshot-date", "2026-11-01"]
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = tmp_path / "home" / ".lock"
    deadline = time.monotonic() + 60
    while not (lock.exists() and lock.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert second.returncode == 1
    assert second.stderr.strip() == (
        f"imdb-assets run: error: imdb-assets run (pid {first.pid}) is using {tmp_path / 'home'}; "
        "wait for it to finish, or use another IMDB_ASSETS_HOME"
    )
    assert "materialized snapshot 2026-11-01" in out
