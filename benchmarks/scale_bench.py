"""Scale benchmark (issue 8): IMDb's full size on this machine, first run and next day, step by step.

    python -m benchmarks.scale_bench            # 11.8 M titles (about 15 minutes on 2 cores)
    python -m benchmarks.scale_bench --small    # 200 k titles, the CI smoke test (a couple of minutes)

1. `imdb-assets synth` writes a full-size synthetic snapshot (day 1) and its next day (1% changed).
2. The whole `imdb-assets run --json` on day 1, then on day 2, in a fresh home (the headline numbers).
3. The same two days step by step in a second fresh home, each step a `dagster.materialize` of its asset
   selection in its own process, so time, CPU and peak memory belong to that step alone: raw ingest, dbt
   (a full build on day 1, incremental on day 2), CSV extract + validate, DVC add + push, feature
   preparation, training. The dbt steps also report dbt's own timings and DuckDB's scan counters for
   the model's SQL, and the rows merged from the materialization's metadata.
4. The naive baseline on day 1's published table and our own test split, against our features + training.

Prints a table and writes `benchmarks/results/scale-<full|small>-<UTC time>.json`. Every measured
process carries the load average and the CPU other processes used meanwhile: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from statistics import median

# Every child, the naive baseline included, runs with the numpy setting the product's processes choose
# for themselves (imdb_assets/__init__.py): the ratio compares code, not the kernel's page-fault path.
NUMPY_MADVISE_HUGEPAGE = os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

from benchmarks.scale.measure import run_measured, stdout_path, wait_for_quiet
from benchmarks.scale.report import (
    STEP_ORDER,
    evaluate_targets,
    machine,
    render_table,
    step_seconds,
    write_json_atomically,
)

REPO_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_DIR / "benchmarks" / "results"
FULL_TITLES = 11_800_000
SMALL_TITLES = 200_000

# step -> the assets one `dagster.materialize` selects, and whether they are partitioned by snapshot date
STEP_ASSETS: dict[str, tuple[list[str], bool]] = {
    "ingest": (["raw_title_basics", "raw_title_ratings"], True),
    "dbt": (["filtered_movies_incremental"], True),
    "csv": (["movies_csv"], False),
    "dvc": (["movies_dataset"], False),
    "features": (["movie_features"], False),
    "training": (["enjoyment_model"], False),
}
CLI = "import sys; from imdb_assets.cli import main; sys.exit(main())"


class BenchmarkFailed(RuntimeError):
    pass


def json_from_stdout(text: str) -> tuple[dict, int]:
    """The JSON object a `--json` command printed, and how many bytes of other output came before it.

    DuckDB draws its progress bar straight onto file descriptor 1 for queries over 2 s, so `--json`
    output can be preceded by it; the benchmark records that rather than failing on it."""
    start = re.search(r"^\{", text, re.MULTILINE)
    if start is None:
        raise BenchmarkFailed(f"no JSON object in the command's output: {text[-300:]!r}")
    return json.loads(text[start.start() :]), start.start()


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path):
        self.args = args
        self.work = work
        self.logs = work / "logs"
        self.results: dict = {}

    # ---- plumbing --------------------------------------------------------------------------------
    def env(self, home: Path | None = None) -> dict[str, str]:
        env = dict(os.environ)
        for key in ("DAGSTER_HOME", "IMDB_ASSETS_SOURCE", "IMDB_ASSETS_HOME"):
            env.pop(key, None)
        env["IMDB_ASSETS_ENV"] = "local"
        if home is not None:
            env["IMDB_ASSETS_HOME"] = str(home)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_DIR), env.get("PYTHONPATH", "")]))
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])  # dbt beside python
        env.setdefault("DVC_NO_ANALYTICS", "1")
        env["NUMPY_MADVISE_HUGEPAGE"] = NUMPY_MADVISE_HUGEPAGE
        return env

    def measure(self, label: str, command: list[str], home: Path | None = None):
        if self.args.quiet_share < 1.0:
            wait_for_quiet(self.args.quiet_share, self.args.quiet_timeout)
        slug = label.replace(" ", "_").replace("/", "_")
        measurement = run_measured(label, command, self.env(home), REPO_DIR, self.logs / f"{slug}.log")
        print(
            f"  {label:<40} {measurement.wall_seconds:7.1f} s  {measurement.peak_rss_mb:7.0f} MB  "
            f"load {measurement.load_before[0]:.1f}  others {measurement.others_cpu_share:.0%}"
            + (
                ""
                if measurement.returncode == 0
                else f"  FAILED (exit {measurement.returncode}, log {self.logs / slug}.log)"
            ),
            file=sys.stderr,
            flush=True,
        )
        return measurement

    def save(self) -> Path:
        self.results["targets"] = evaluate_targets(self.results)
        started = datetime.fromisoformat(self.results["started_at"]).astimezone(timezone.utc)
        path = self.args.results_dir / f"scale-{'small' if self.args.small else 'full'}-{started:%Y%m%dT%H%M%SZ}.json"
        write_json_atomically(path, self.results)
        return path

    # ---- phases ----------------------------------------------------------------------------------
    def synth(self, day1: str, day2: str) -> tuple[Path, Path]:
        s1, s2 = self.work / "snapshot-day1", self.work / "snapshot-day2"
        base = [sys.executable, "-m", "imdb_assets.cli.synth", "--json"]
        runs = {
            "day1": base
            + ["--out", str(s1), "--titles", str(self.args.titles), "--seed", "0", "--snapshot-date", day1],
            "day2": base
            + [
                "--out",
                str(s2),
                "--from-snapshot",
                str(s1),
                "--change-rate",
                str(self.args.change_rate),
                "--seed",
                "1",
                "--snapshot-date",
                day2,
            ],
        }
        self.results["synth"] = {}
        for day, command in runs.items():
            m = self.measure(f"synth {day}", command)
            if m.returncode:
                raise BenchmarkFailed(f"synth {day} failed: {m.stderr_tail.strip().splitlines()[-1:]}")
            manifest, _ = json_from_stdout(stdout_path(self.logs / f"synth_{day}.log").read_text())
            self.results["synth"][day] = {"measurement": m.as_dict(), "manifest": manifest}
        return s1, s2

    def whole_runs(self, days: list[tuple[str, Path]]) -> None:
        from benchmarks.scale.step_child import runs_timeline

        home = self.work / "home-run"
        self.results["runs"] = {}
        for name, (day, source) in zip(("first", "next_day"), days):
            since = time.time()
            m = self.measure(
                f"imdb-assets run {name}",
                [sys.executable, "-c", CLI, "run", "--json", "--source", str(source), "--snapshot-date", day],
                home,
            )
            entry: dict = {"snapshot_date": day, "measurement": m.as_dict()}
            if m.returncode == 0:
                entry["summary"], entry["stdout_noise_bytes"] = json_from_stdout(
                    stdout_path(self.logs / f"imdb-assets_run_{name}.log").read_text()
                )
            entry["dagster_runs"] = runs_timeline(home / "dagster", since)
            self.results["runs"][name] = entry
            if m.returncode:
                raise BenchmarkFailed(f"imdb-assets run ({name}) failed: {m.stderr_tail.strip().splitlines()[-1:]}")

    def _plan(self, day: str, names: list[str]) -> list[dict]:
        return [
            {"name": n, "assets": STEP_ASSETS[n][0], "partition": day if STEP_ASSETS[n][1] else None} for n in names
        ]

    def steps(self, day_name: str, day: str, source: Path, home: Path) -> None:
        """Each step in its own process (per-step CPU and peak memory are exact), or, with --group-steps,
        one process per day running the steps one after another (CI: saves the imports of five processes;
        per-step memory is then the process's peak during the step, sampled from inside)."""
        self.results.setdefault("steps", {})[day_name] = {}
        plan = self._plan(day, list(STEP_ORDER))
        groups = [plan] if self.args.group_steps else [[step] for step in plan]
        for group in groups:
            self.results["steps"][day_name].update(self._step_group(day_name, day, group, source, home))

    def _step_group(self, day_name: str, day: str, group: list[dict], source: Path, home: Path) -> dict:
        """Run `group`'s steps in one child process; their entries by step name (raises if one failed)."""
        entries: dict = {}
        label = f"{day_name} {group[0]['name']}" if len(group) == 1 else f"{day_name} steps"
        result_file = self.work / "results" / f"{label.replace(' ', '-')}.json"
        result_file.parent.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", "benchmarks.scale.step_child", "--home", str(home), "--source", str(source),
            "--plan", json.dumps(group), "--result-file", str(result_file),
        ]  # fmt: skip
        m = self.measure(label, command, home)
        child = json.loads(result_file.read_text()) if result_file.exists() else {"steps": {}}
        for step in group:
            report = child["steps"].get(step["name"])
            entry: dict = {"assets": step["assets"], "child": report}
            if report is not None:
                report["import_seconds"] = child.get("import_seconds")
            if len(group) == 1:
                entry["measurement"] = m.as_dict()
            elif report is not None:
                entry["measurement"] = {
                    **m.as_dict(),
                    "label": f"{day_name} {step['name']} (shared process)",
                    "wall_seconds": report["materialize_seconds"],
                    "cpu_seconds": report["in_process"]["cpu_seconds"],
                    "peak_rss_mb": report["in_process"]["peak_rss_mb"],
                    "max_process_rss_mb": None,
                    "returncode": 0 if report["success"] else 1,
                }
                entry["shared_process"] = m.as_dict()
            entries[step["name"]] = entry
            if report is None or not report.get("success"):
                reason = (report or {}).get("failure") or m.stderr_tail.strip().splitlines()[-1:]
                raise BenchmarkFailed(f"{day_name} {step['name']} failed: {reason}")
        return entries

    def _naive(self, home: Path, round_number: int) -> dict:
        from imdb_assets.settings import LocalPaths

        paths = LocalPaths(home)
        result_file = self.work / "results" / f"naive-baseline-{round_number}.json"
        command = [
            sys.executable, "-m", "benchmarks.scale.naive_baseline", "--csv", str(paths.movies_csv),
            "--features", str(paths.features_dir / "movie_features.parquet"), "--result-file", str(result_file),
        ]  # fmt: skip
        m = self.measure(f"naive baseline (round {round_number})", command, home)
        if m.returncode or not result_file.exists():
            raise BenchmarkFailed(f"naive baseline failed: {m.stderr_tail.strip().splitlines()[-1:]}")
        return {"measurement": m.as_dict(), **json.loads(result_file.read_text())}

    @staticmethod
    def _ours(features: dict, training: dict) -> dict:
        model_meta = training["child"]["metadata"].get("enjoyment_model", {})
        features_meta = features["child"]["metadata"].get("movie_features", {})
        ours_features, ours_training = step_seconds(features), step_seconds(training)
        # The same work as the naive pipeline's (read, clean, split, features, fit, evaluate), without what
        # only ours does (publishing the parquet, saving the model, plots, promotion, Dagster's events).
        compute = sum(features_meta.get("seconds", {}).values()) + model_meta.get("training_seconds", {}).get(
            "total", 0
        )
        return {
            "features_seconds": ours_features,
            "training_seconds": ours_training,
            "seconds": ours_features + ours_training,
            "compute_seconds": compute,
            "roc_auc": model_meta.get("roc_auc"),
            "test_rows": model_meta.get("test_rows"),
        }

    def baseline(self, day: str, source: Path, home: Path) -> None:
        """The naive pipeline and ours, alternated `--baseline-rounds` times on the same machine: a single
        pair can land on a slow and a fast moment (runs on this machine have varied by 1.5x), so the ratio
        is of the medians. Round 1 reuses the day-1 steps measured above; later rounds run them again."""
        rounds = []
        for number in range(1, self.args.baseline_rounds + 1):
            if number == 1:
                features, training = (self.results["steps"]["day1"][name] for name in ("features", "training"))
            else:
                features, training = (
                    self._step_group(f"baseline round {number}", day, [step], source, home)[step["name"]]
                    for step in self._plan(day, ["features", "training"])
                )
            rounds.append({"naive": self._naive(home, number), "ours": self._ours(features, training)})
        naive = median(r["naive"]["total_seconds"] for r in rounds)
        ours = median(r["ours"]["seconds"] for r in rounds)
        compute = median(r["ours"]["compute_seconds"] for r in rounds)
        first = rounds[0]
        self.results["baseline"] = {
            "rounds": rounds,
            "naive": first["naive"],  # its per-phase seconds, for the report
            "naive_seconds": naive,
            "naive_roc_auc": first["naive"]["roc_auc"],
            "ours_features_seconds": median(r["ours"]["features_seconds"] for r in rounds),
            "ours_training_seconds": median(r["ours"]["training_seconds"] for r in rounds),
            "ours_seconds": ours,
            "ours_roc_auc": first["ours"]["roc_auc"],
            "ours_test_rows": first["ours"]["test_rows"],
            "speedup": naive / ours if ours else None,
            "ours_compute_seconds": compute,
            "compute_speedup": naive / compute if compute else None,
            "round_speedups": [round(r["naive"]["total_seconds"] / r["ours"]["seconds"], 3) for r in rounds],
            "note": "medians over alternated rounds; naive seconds exclude interpreter start and imports; ours are "
            "the two steps' materialize calls (compute: the steps' own timings of reading, cleaning, validating, "
            "features, selection, evaluation)",
        }

    def incremental_evidence(self) -> None:
        full, incr = self.results["steps"]["day1"]["dbt"]["child"], self.results["steps"]["day2"]["dbt"]["child"]
        meta_full = full["metadata"].get("filtered_movies_incremental", {})
        meta = incr["metadata"].get("filtered_movies_incremental", {})
        dbt = incr.get("dbt", {})
        scan = dbt.get("scan", {})
        day2 = self.results["steps"]["day2"]["dbt"]["child"]["partition"]
        scans = []
        for table in scan.get("tables", []):
            name = table.get("table") or ""
            raw = next((rows for t, rows in scan.get("raw_rows_by_snapshot", {}).items() if name.endswith(t)), None)
            scans.append(
                {
                    **table,
                    "table_rows": sum(raw.values()) if raw else None,
                    "partition_rows": raw.get(day2) if raw else None,
                }
            )
        self.results["incremental"] = {
            "rows_merged_this_run": meta.get("rows_merged_this_run"),
            "row_count": meta.get("dagster/row_count"),
            "full_build_rows": meta_full.get("dagster/row_count"),
            "incremental_branch": dbt.get("incremental_branch"),
            "full_build_branch_incremental": full.get("dbt", {}).get("incremental_branch"),
            "model_seconds": dbt.get("model_seconds"),
            "full_model_seconds": full.get("dbt", {}).get("model_seconds"),
            "dbt_log": dbt.get("log"),
            "full_dbt_log": full.get("dbt", {}).get("log"),
            "scans": scans,
            "full_build_scans": full.get("dbt", {}).get("scan", {}).get("tables"),
        }

    def run(self) -> int:
        args = self.args
        now = datetime.now(timezone.utc)
        # Yesterday and today (UTC): both inside the snapshot partition calendar.
        day1, day2 = (now.date() - timedelta(days=1)).isoformat(), now.date().isoformat()
        self.results = {
            "started_at": now.isoformat(timespec="seconds"),
            "machine": machine(),
            "config": {
                "small": args.small,
                "group_steps": args.group_steps,
                "titles": args.titles,
                "change_rate": args.change_rate,
                "day1": day1,
                "day2": day2,
                "work_dir": str(self.work),
            },
            "load_at_start": [round(x, 2) for x in os.getloadavg()],
        }
        print(f"scale benchmark: {args.titles:,} titles, work folder {self.work}", file=sys.stderr)
        status = 0
        try:
            s1, s2 = self.synth(day1, day2)
            if not args.skip_whole_runs:
                self.whole_runs([(day1, s1), (day2, s2)])
            steps_home = self.work / "home-steps"
            self.steps("day1", day1, s1, steps_home)
            if args.baseline_rounds:
                self.baseline(day1, s1, steps_home)
            self.steps("day2", day2, s2, steps_home)
            self.incremental_evidence()
        except BenchmarkFailed as exc:
            self.results["error"] = str(exc)
            print(f"scale benchmark: {exc}", file=sys.stderr)
            status = 1
        self.results["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
        path = self.save()
        print(render_table(self.results))
        print(f"\nresults: {path}")
        return status


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help=f"{SMALL_TITLES:,} titles: the CI smoke test")
    parser.add_argument(
        "--titles",
        type=int,
        help=f"titles in the day-1 snapshot (default {FULL_TITLES:,}, or {SMALL_TITLES:,} with --small)",
    )
    parser.add_argument(
        "--change-rate", type=float, default=0.01, help="share of rated titles changed on day 2 (default 0.01)"
    )
    parser.add_argument(
        "--work-dir", type=Path, help="where snapshots and homes go (default: a new temp folder, removed at the end)"
    )
    parser.add_argument("--keep-work", action="store_true", help="keep the work folder (snapshots, homes, logs)")
    parser.add_argument(
        "--results-dir", type=Path, default=RESULTS_DIR, help=f"where the JSON goes (default {RESULTS_DIR})"
    )
    parser.add_argument("--show", type=Path, metavar="JSON", help="print the table of a saved result and exit")
    parser.add_argument(
        "--baseline-rounds",
        type=int,
        help="naive baseline and our two steps, alternated this many times; medians compared (default 5, 1 with --small; 0 skips the baseline)",
    )
    parser.add_argument("--skip-whole-runs", action="store_true", help="only the step-by-step part")
    parser.add_argument(
        "--group-steps",
        action=argparse.BooleanOptionalAction,
        help="run a day's six steps in one process instead of one process each (default: on with --small)",
    )
    parser.add_argument(
        "--quiet-share",
        type=float,
        default=1.0,
        help="before each measured process, wait until the machine's CPU use is below this share (e.g. 0.3; default 1 = never wait)",
    )
    parser.add_argument(
        "--quiet-timeout", type=float, default=120.0, help="longest wait for --quiet-share, seconds (default 120)"
    )
    args = parser.parse_args(argv)
    if args.titles is None:
        args.titles = SMALL_TITLES if args.small else FULL_TITLES
    if args.baseline_rounds is None:
        args.baseline_rounds = 1 if args.small else 5
    if args.group_steps is None:
        args.group_steps = args.small
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.show:
        print(render_table(json.loads(args.show.read_text())))
        return 0
    if args.work_dir:
        work = args.work_dir.resolve()
        if work.exists() and any(work.iterdir()):
            print(f"scale benchmark: --work-dir {work} is not empty; give an empty or new folder", file=sys.stderr)
            return 2
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="imdb-scale-bench-"))
    try:
        return Bench(args, work).run()
    finally:
        if not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
