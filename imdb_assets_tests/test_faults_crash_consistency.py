"""`imdb-assets run` killed at each step: what is published stays whole, and the next run cleans up.

A run is stopped dead at a named point (`IMDB_ASSETS_CRASH_AT`, imdb_assets/fault_injection.py: the
process `os._exit`s there, as `kill -9` would stop it). Afterwards the published dataset (CSV, `.dvc`
pointer, registry) is wholly the old version or wholly the new one, the champion is a model that
loads, and the next run succeeds and leaves no unfinished run, child process or temporary folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from imdb_assets.dataset.registry import VersionRegistry
from imdb_assets.fault_injection import CRASH_EXIT_CODE
from imdb_assets.dataset.repository import pointer_md5
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.dagster_dev_process import processes_with_env
from imdb_assets_tests.imdb_files import changed_sample

CRASH_POINTS = [
    "ingest.loaded",
    "dbt.started",
    "dataset.cached",
    "dataset.pushed",
    "dataset.lake_written",
    "dataset.registered",
    "dataset.checked_out_csv",
    "model.saved",
    "model.decided",
]
# Killed after the switch (the registry line), while the working copy is brought to the new version.
CUT_DURING_CHECKOUT = {"dataset.registered", "dataset.checked_out_csv"}
NEXT_DAY = "2026-11-02"  # the built home holds 2026-11-01; the next day's snapshot has changed ratings


def md5_of(path: Path) -> str | None:
    return hashlib.md5(path.read_bytes()).hexdigest() if path.exists() else None


def published_state(paths: LocalPaths) -> dict:
    registry = VersionRegistry(paths.data_dir / "raw" / "filtered_movies_incremental.csv.versions.jsonl")
    latest = registry.latest()
    return {
        "csv": md5_of(paths.movies_csv),
        "pointer": pointer_md5(paths.movies_csv.with_name(paths.movies_csv.name + ".dvc")),
        "registry": latest.md5 if latest else None,
        "champion": (paths.models_dir / "champion").read_text().strip(),
    }


def cli(home: Path, *args: str, crash_at: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "IMDB_ASSETS_CRASH_AT")}
    env["IMDB_ASSETS_HOME"] = str(home)
    if crash_at:
        env["IMDB_ASSETS_CRASH_AT"] = crash_at
    return subprocess.run(
        [str(Path(sys.executable).parent / "imdb-assets"), *args], env=env, capture_output=True, text=True, timeout=600
    )


def leftover_processes(home: Path, wait_seconds: float = 10.0) -> list[int]:
    deadline = time.monotonic() + wait_seconds
    while True:
        alive = processes_with_env("IMDB_ASSETS_HOME", str(home))
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


@pytest.mark.slow  # a killed run and a recovery run per point: ~30-40 s each on 2 cores
@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_run_killed_at_each_step_leaves_whole_versions_and_the_next_run_cleans_up(point: str, home_copy: Path):
    paths = LocalPaths(home_copy)
    before = published_state(paths)
    assert before["csv"] == before["pointer"] == before["registry"]

    source = str(changed_sample(home_copy.parent / "next-day"))
    killed = cli(home_copy, "run", "--source", source, "--snapshot-date", NEXT_DAY, crash_at=point)
    assert killed.returncode == CRASH_EXIT_CODE, killed.stderr
    assert leftover_processes(home_copy) == [], "a child of the killed run is still running"

    after_kill = published_state(paths)
    published = after_kill["registry"]
    # The registry's latest line is the published version, and its bytes are whole in the DVC cache.
    assert md5_of(paths.data_dir / ".dvc" / "cache" / "files" / "md5" / published[:2] / published[2:]) == published
    if point in CUT_DURING_CHECKOUT:
        assert published != before["registry"]  # switched; the working copy follows at the next start
    else:
        assert after_kill["csv"] == after_kill["pointer"] == published
    assert (paths.models_dir / after_kill["champion"] / "model.json").exists()

    recovered = cli(home_copy, "run", "--source", source, "--snapshot-date", NEXT_DAY)
    assert recovered.returncode == 0, recovered.stderr
    state = published_state(paths)
    assert state["csv"] == state["pointer"] == state["registry"] != before["registry"]
    notes = [line for line in recovered.stderr.splitlines() if line.startswith("imdb-assets: ")]
    assert all(len(line) <= 300 for line in notes)
    if point in CUT_DURING_CHECKOUT:
        assert any("restored raw/filtered_movies_incremental.csv" in line for line in notes), recovered.stderr
    assert any("marked failed" in line for line in notes), recovered.stderr  # the killed run, now FAILED
    with DagsterInstance.from_config(str(paths.dagster_home)) as instance:
        unfinished = instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING]))
        assert unfinished == []
    assert not any((home_copy / "tmp").iterdir()) if (home_copy / "tmp").exists() else True
    assert leftover_processes(home_copy) == []
    answer = cli(home_copy, "predict", "--title", "Heat", "--genres", "Crime,Drama", "--json")
    assert answer.returncode == 0, answer.stderr


@pytest.mark.slow
def test_a_publish_killed_before_its_switch_is_rolled_back_at_the_next_start(home_copy: Path):
    """Killed after the new CSV reached the cache and the remote but before the registry line: the next
    start says in one line that the working copy was restored, and it shows the published version."""
    paths = LocalPaths(home_copy)
    before = published_state(paths)
    # What a crash in the middle of an older publish could leave: the working copy at an unlisted version.
    paths.movies_csv.write_text(paths.movies_csv.read_text() + "\n")
    assert md5_of(paths.movies_csv) != before["registry"]

    listed = cli(home_copy, "run", "--snapshot-date", "2026-11-01")
    assert listed.returncode == 0, listed.stderr
    restored = [line for line in listed.stderr.splitlines() if "restored raw/filtered_movies_incremental.csv" in line]
    assert len(restored) == 1 and len(restored[0]) <= 300, listed.stderr
    state = published_state(paths)
    assert state["csv"] == state["pointer"] == state["registry"] == before["registry"]


@contextlib.contextmanager
def small_filesystem(folder: Path, spare_bytes: int):
    """`folder`'s content moved onto a tmpfs with only `spare_bytes` free (needs mount rights)."""
    import shutil

    used = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    saved = folder.with_name(folder.name + ".saved")
    folder.rename(saved)
    folder.mkdir()
    size_kb = (used + spare_bytes) // 1024 + 64  # tmpfs counts whole pages per file
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(folder)], capture_output=True, text=True)
    if mounted.returncode != 0:
        folder.rmdir()
        saved.rename(folder)
        pytest.skip(f"cannot mount a small filesystem here: {mounted.stderr.strip()}")
    try:
        shutil.copytree(saved, folder, dirs_exist_ok=True, symlinks=True)
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.slow  # one run that fails while publishing
def test_a_full_disk_while_publishing_changes_nothing_published_and_says_so_in_one_line(home_copy: Path):
    paths = LocalPaths(home_copy)
    before = published_state(paths)
    source = str(changed_sample(home_copy.parent / "next-day"))
    with small_filesystem(paths.data_dir, spare_bytes=280_000):  # room for the candidate CSV, not for its copies
        full = cli(home_copy, "run", "--source", source, "--snapshot-date", NEXT_DAY)
        assert full.returncode == 1
        [error] = [line for line in full.stderr.splitlines() if line.startswith("imdb-assets run: error:")]
        # The publishing step names the cause (the OS's words, or DVC's state database's).
        assert error.startswith("imdb-assets run: error: movies_dataset: "), full.stderr
        assert re.search(r"No space left on device|disk is full", error) and len(error) <= 300, full.stderr
        assert published_state(paths) == before
        assert leftover_processes(home_copy) == []
