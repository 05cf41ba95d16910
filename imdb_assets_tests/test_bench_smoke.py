"""`python -m benchmarks.scale_bench --small` end to end: every step measured, the incremental evidence,
the naive baseline and the targets in its JSON (the full-size run uses the same code)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from imdb_assets.settings import REPO_DIR

STEPS = {"ingest", "dbt", "csv", "dvc", "features", "training"}
TARGETS = {
    "whole first run (ingest -> trained model)",
    "peak RSS of the first run (process tree)",
    "whole next-day run",
    "dbt incremental / dbt full build",
    "raw ingest of a full snapshot",
    "features + training vs naive baseline (speed-up, same rows)",
}


@pytest.mark.slow  # ~2 min on 2 idle cores (two whole runs, twelve steps, the baseline); longer when shared
def test_small_benchmark_measures_every_step(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "IMDB_ASSETS_HOME", "IMDB_ASSETS_SOURCE")}
    results_dir = tmp_path / "results"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.scale_bench",
            "--small",
            "--work-dir",
            str(tmp_path / "work"),
            "--results-dir",
            str(results_dir),
        ],
        check=False,  # the assertion below shows stderr
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,  # a hung step must not hang CI; the run itself takes a few minutes
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "whole imdb-assets run" in done.stdout and "naive baseline" in done.stdout
    assert not (tmp_path / "work").exists()  # the work folder (snapshots, homes) is removed

    [path] = list(results_dir.glob("scale-small-*.json"))
    results = json.loads(path.read_text())
    assert results["config"]["titles"] == 200_000 and results["config"]["small"] is True
    assert results["machine"]["cores"] >= 1 and len(results["load_at_start"]) == 3

    for day in ("day1", "day2"):
        assert set(results["steps"][day]) == STEPS
        for step, entry in results["steps"][day].items():
            m, child = entry["measurement"], entry["child"]
            assert child["success"] and m["returncode"] == 0, (day, step)
            assert 0 < child["materialize_seconds"] and m["wall_seconds"] > 0 and m["cpu_seconds"] > 0, (day, step)
            assert 100 < m["peak_rss_mb"] < 8192, (day, step)  # a Python process with Dagster loaded, not more
            assert 0 <= m["others_cpu_share"] <= 1
            assert child["metadata"], (day, step)  # each step's materialization was recorded
    for name in ("first", "next_day"):
        run = results["runs"][name]
        assert run["measurement"]["returncode"] == 0 and run["measurement"]["peak_rss_mb"] > 100
        assert run["summary"]["model"]["metrics"]["roc_auc"] > 0.5
        assert len(run["dagster_runs"]) == 1  # one snapshot_pipeline_job run: raw, dbt and downstream together
        assert all(r["status"] == "SUCCESS" and r["steps"] for r in run["dagster_runs"])

    # The incremental step merged only the changed rows, reading only the new snapshot's row groups.
    inc = results["incremental"]
    assert inc["incremental_branch"] is True and inc["full_build_branch_incremental"] is False
    assert 0 < inc["rows_merged_this_run"] < 0.1 * inc["row_count"]
    assert inc["row_count"] >= inc["full_build_rows"]
    basics = next(s for s in inc["scans"] if s["table"].endswith("raw.title_basics"))
    assert basics["partition_rows"] <= basics["rows_scanned"] < basics["table_rows"]
    assert basics["row_groups_scanned"] < basics["row_groups_total"]

    base = results["baseline"]
    assert base["naive"]["matched_rows"] == base["naive"]["rows"] > 1000
    assert 0.5 < base["naive_roc_auc"] <= 1 and 0.5 < base["ours_roc_auc"] <= 1
    assert base["speedup"] > 0 and base["naive"]["test_rows"] == base["ours_test_rows"]

    assert {t["target"] for t in results["targets"]} == TARGETS
    assert all(isinstance(t["met"], bool) for t in results["targets"])
