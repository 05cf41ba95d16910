"""`python -m benchmarks.bench_days` end to end at a tiny size: every day measured, sizes recorded, the
targets evaluated in its JSON (the 30-day and full-size runs use the same code)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from imdb_assets.settings import REPO_DIR

SIZES = {"warehouse", "dvc_cache", "dvc_remote", "lake", "model_store", "dagster", "home"}


@pytest.mark.slow  # three days of run + gc, ~2 min on 2 cores
def test_growth_benchmark_measures_every_day(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "IMDB_ASSETS_HOME", "IMDB_ASSETS_SOURCE")}
    results_dir = tmp_path / "results"
    done = subprocess.run(
        [
            sys.executable, "-m", "benchmarks.bench_days", "--titles", "60000", "--days", "3",
            "--raw-snapshots-kept", "1", "--dataset-versions-kept", "1", "--challengers-kept", "0",
            "--work-dir", str(tmp_path / "work"), "--results-dir", str(results_dir),
        ],
        check=False, cwd=REPO_DIR, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "bench_days: 3 days at 60,000 titles" in done.stdout
    assert not (tmp_path / "work").exists()  # snapshots and the home are removed

    [path] = list(results_dir.glob("days-60000x3-*.json"))
    results = json.loads(path.read_text())
    assert [d["day"] for d in results["days"]] == [1, 2, 3]
    for day in results["days"]:
        assert set(day["sizes"]) == SIZES and all(v >= 0 for v in day["sizes"].values())
        assert day["run_seconds"] > 0 and day["peak_rss_mb"] > 0
        assert day["duckdb"]["raw_dates"] == 1  # K=1: retention left the newest date only
    assert all(set(day["gc_collected"]) == {"datasets", "models"} for day in results["days"])
    assert any(name.startswith("last day run time") for name in results["targets"])
    assert any(name.startswith("home after day 3 <= home after day 2") for name in results["targets"])
