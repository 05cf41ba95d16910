"""Growth benchmark (issue 17): N consecutive daily snapshots in one home, the whole pipeline each day.

    python -m benchmarks.bench_days                               # 30 days at 2 M titles (make bench-days)
    python -m benchmarks.bench_days --titles 11800000 --days 10   # IMDb's full size

Day 1 is a synthetic snapshot (`imdb-assets synth`); each next day is the day before with 1% changed
(`--from-snapshot DIR --change-rate R`). Each day runs what a deployment runs daily: `imdb-assets run`
(ingest, dbt, raw snapshot retention, CSV, DVC, features, training) and then `imdb-assets gc`. Per day it
records the wall time and peak RSS of the process tree (psutil, benchmarks/scale/measure.py) of both,
and the size of the warehouse (with DuckDB's own block counts: used and free), the DVC cache, the DVC
remote, the lake, the model store, the Dagster storage and the whole home.

Targets: the last day's run time <= 1.15 x the second day's; the home's size after the last day <= its
size after day K+1 plus the lake's growth since (the lake is the archive, never collected). With the
project's default of 30 dataset versions kept, the DVC cache and remote only stop growing after day 30,
so the benchmark keeps fewer (`--dataset-versions-kept`, default 7) to reach the steady state within its
days; the growth until then is one CSV per day in each (stated in the table).

Prints a table and writes `benchmarks/results/days-<titles>x<days>-<UTC time>.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from benchmarks.scale.measure import run_measured, stdout_path
from benchmarks.scale.report import machine, write_json_atomically

REPO_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_DIR / "benchmarks" / "results"
CLI = "import sys; from imdb_assets.cli import main; sys.exit(main())"
RUN_TIME_RATIO_TARGET = 1.15


class BenchmarkFailed(RuntimeError):
    pass


def folder_bytes(folder: Path) -> int:
    """Bytes allocated on disk under `folder` (files only; hard links counted once)."""
    if not folder.exists():
        return 0
    seen, total = set(), 0
    for path in [folder] if folder.is_file() else folder.rglob("*"):
        try:
            stat = path.lstat()
        except FileNotFoundError:
            continue
        if path.is_file() and not path.is_symlink() and (stat.st_dev, stat.st_ino) not in seen:
            seen.add((stat.st_dev, stat.st_ino))
            total += stat.st_blocks * 512
    return total


def duckdb_blocks(warehouse: Path) -> dict:
    """DuckDB's own account of the file: blocks in use and free blocks it will write into next."""
    import duckdb

    if not warehouse.exists():
        return {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute("SELECT block_size, total_blocks, used_blocks, free_blocks FROM pragma_database_size()").fetchone()
        dates = con.execute("SELECT count(DISTINCT snapshot_date) FROM raw.title_basics").fetchone()[0]
    block_size, total, used, free = (int(x) for x in row)
    return {"block_size": block_size, "total_blocks": total, "used_blocks": used, "free_blocks": free, "raw_dates": dates}


def home_sizes(home: Path) -> dict:
    warehouse = home / "warehouse"
    return {
        "warehouse": folder_bytes(warehouse),
        "dvc_cache": folder_bytes(home / "data" / ".dvc" / "cache"),
        "dvc_remote": folder_bytes(home / "dvc-remote"),
        "lake": folder_bytes(home / "lake"),
        "model_store": folder_bytes(home / "models"),
        "dagster": folder_bytes(home / "dagster"),
        "home": folder_bytes(home),
    }


def megabytes(size: float) -> str:
    return f"{size / 1e6:,.1f}"


class DaysBench:
    def __init__(self, args: argparse.Namespace, work: Path):
        self.args = args
        self.work = work
        self.home = work / "home"
        self.logs = work / "logs"
        self.results: dict = {
            "benchmark": "bench_days",
            "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": machine(),
            "config": {
                "titles": args.titles,
                "days": args.days,
                "change_rate": args.change_rate,
                "raw_snapshots_kept": args.raw_snapshots_kept,
                "dataset_versions_kept": args.dataset_versions_kept,
                "challengers_kept": args.challengers_kept,
            },
            "days": [],
        }

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "IMDB_ASSETS_SOURCE")}
        env.update(
            IMDB_ASSETS_ENV="local",
            IMDB_ASSETS_HOME=str(self.home),
            IMDB_ASSETS_RAW_SNAPSHOTS_KEPT=str(self.args.raw_snapshots_kept),
            IMDB_ASSETS_DATASET_VERSIONS_KEPT=str(self.args.dataset_versions_kept),
            IMDB_ASSETS_CHALLENGERS_KEPT=str(self.args.challengers_kept),
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_DIR), os.environ.get("PYTHONPATH", "")])),
            PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),  # dbt beside python
            DVC_NO_ANALYTICS="1",
        )
        return env

    def measure(self, label: str, command: list[str]):
        slug = label.replace(" ", "_")
        measurement = run_measured(label, command, self.env(), REPO_DIR, self.logs / f"{slug}.log")
        if measurement.returncode:
            raise BenchmarkFailed(f"{label} failed (log {self.logs / slug}.log): {measurement.stderr_tail.strip().splitlines()[-1:]}")
        return measurement, stdout_path(self.logs / f"{slug}.log").read_text()

    def synth(self, day_number: int, snapshot_date: str, previous: Path | None) -> tuple[Path, dict]:
        out = self.work / f"snapshot-{day_number:03d}"
        command = [sys.executable, "-m", "imdb_assets.cli.synth", "--json", "--out", str(out), "--snapshot-date", snapshot_date]
        if previous is None:
            command += ["--titles", str(self.args.titles), "--seed", "0"]
        else:
            command += ["--from-snapshot", str(previous), "--change-rate", str(self.args.change_rate), "--seed", str(day_number)]
        measurement, stdout = self.measure(f"synth day {day_number}", command)
        manifest = json.loads(stdout[stdout.index("{") :])
        return out, {**measurement.as_dict(), "titles": manifest["titles"], "rated_movies": manifest["rated_movies"]}

    def run(self) -> int:
        first = datetime.now(timezone.utc).date() - timedelta(days=self.args.days)
        previous: Path | None = None
        print(f"{self.args.days} days at {self.args.titles:,} titles in {self.home}", file=sys.stderr, flush=True)
        for number in range(1, self.args.days + 1):
            snapshot_date = (first + timedelta(days=number - 1)).isoformat()
            source, synth = self.synth(number, snapshot_date, previous)
            if previous is not None:
                shutil.rmtree(previous)  # only today's and tomorrow's snapshot on disk at a time
            run, run_out = self.measure(
                f"run day {number}", [sys.executable, "-c", CLI, "run", "--json", "--source", str(source), "--snapshot-date", snapshot_date]
            )
            gc, gc_out = self.measure(f"gc day {number}", [sys.executable, "-c", CLI, "gc", "--json"])
            summary = json.loads(run_out[run_out.index("{") :])
            freed = json.loads(gc_out[gc_out.index("{") :])
            day = {
                "day": number,
                "snapshot_date": snapshot_date,
                "synth": synth,
                "run": run.as_dict(),
                "gc": gc.as_dict(),
                "run_seconds": round(run.wall_seconds, 2),
                "gc_seconds": round(gc.wall_seconds, 2),
                "peak_rss_mb": round(max(run.peak_rss_mb, gc.peak_rss_mb)),
                "dataset_rows": summary.get("dataset", {}).get("rows"),
                "gc_freed_bytes": freed["bytes_freed"],
                "gc_collected": {"datasets": len(freed["datasets_collected"]), "models": len(freed["models_deleted"])},
                "sizes": home_sizes(self.home),
                "duckdb": duckdb_blocks(self.home / "warehouse" / "imdb.duckdb"),
            }
            self.results["days"].append(day)
            print(render_row(day), file=sys.stderr, flush=True)
            self.save()  # after every day: a benchmark cut short keeps the days it measured
            previous = source
        self.results["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        path = self.save()
        print(render_table(self.results))
        print(f"results: {path}")
        return 0

    def save(self) -> Path:
        self.results["targets"] = evaluate_targets(self.results)
        started = datetime.fromisoformat(self.results["started_at"])
        path = self.args.results_dir / f"days-{self.args.titles}x{self.args.days}-{started:%Y%m%dT%H%M%SZ}.json"
        write_json_atomically(path, self.results)
        return path


HEADER = (
    f"{'day':>3} {'date':<10} {'run s':>6} {'CPU s':>6} {'gc s':>5} {'RSS MB':>7} {'warehouse':>9} {'free blk':>8} "
    f"{'DVC cache':>9} {'DVC remote':>10} {'lake':>7} {'models':>7} {'dagster':>7} {'home MB':>8}"
)


def render_row(day: dict) -> str:
    s = day["sizes"]
    return (
        f"{day['day']:>3} {day['snapshot_date']:<10} {day['run_seconds']:>6.1f} {day['run']['cpu_seconds']:>6.1f} "
        f"{day['gc_seconds']:>5.1f} {day['peak_rss_mb']:>7} "
        f"{megabytes(s['warehouse']):>9} {day['duckdb'].get('free_blocks', 0):>8} {megabytes(s['dvc_cache']):>9} "
        f"{megabytes(s['dvc_remote']):>10} {megabytes(s['lake']):>7} {megabytes(s['model_store']):>7} "
        f"{megabytes(s['dagster']):>7} {megabytes(s['home']):>8}"
    )


def evaluate_targets(results: dict) -> dict:
    days = results["days"]
    kept = results["config"]["raw_snapshots_kept"]
    targets: dict = {}
    if len(days) >= 2:
        ratio = days[-1]["run_seconds"] / days[1]["run_seconds"]
        targets["last day run time / second day's"] = {
            "measured": round(ratio, 3), "target": f"<= {RUN_TIME_RATIO_TARGET}", "met": ratio <= RUN_TIME_RATIO_TARGET,
        }
        # The machine is shared: CPU seconds of the run's process tree move much less with others' load.
        cpu_ratio = days[-1]["run"]["cpu_seconds"] / days[1]["run"]["cpu_seconds"]
        targets["last day run CPU time / second day's (load-independent view)"] = {
            "measured": round(cpu_ratio, 3), "target": f"<= {RUN_TIME_RATIO_TARGET}", "met": cpu_ratio <= RUN_TIME_RATIO_TARGET,
        }
    if len(days) > kept + 1:
        base = days[kept]  # the size after day K+1 (days are numbered from 1)
        lake_growth = days[-1]["sizes"]["lake"] - base["sizes"]["lake"]
        bound = base["sizes"]["home"] + lake_growth
        targets[f"home after day {days[-1]['day']} <= home after day {kept + 1} + lake growth"] = {
            "measured_bytes": days[-1]["sizes"]["home"], "bound_bytes": bound, "met": days[-1]["sizes"]["home"] <= bound,
        }
        # Dagster's run history (event logs, ~1 MB a run whatever the data size) is the instance's record
        # and is kept: the same bound without it shows whether the data itself stays flat.
        dagster_growth = days[-1]["sizes"]["dagster"] - base["sizes"]["dagster"]
        targets[f"the same, besides Dagster's run history (+{megabytes(dagster_growth)} MB)"] = {
            "measured_bytes": days[-1]["sizes"]["home"] - dagster_growth, "bound_bytes": bound,
            "met": days[-1]["sizes"]["home"] - dagster_growth <= bound,
        }
        per_day = (days[-1]["sizes"]["lake"] - days[0]["sizes"]["lake"]) / max(len(days) - 1, 1)
        targets["lake growth per day (bytes)"] = {"measured": round(per_day)}
        warehouse = [d["sizes"]["warehouse"] for d in days[kept:]]
        targets[f"warehouse growth from day {kept + 1} to day {days[-1]['day']} (bytes)"] = {"measured": warehouse[-1] - warehouse[0]}
        # IMDb grows (the synthetic next day adds titles too): per title held, a flat warehouse stays flat.
        if all("titles" in d["synth"] for d in days):
            held = [sum(x["synth"]["titles"] for x in days[max(0, i - kept + 1) : i + 1]) for i in range(len(days))]
            per_title = [d["sizes"]["warehouse"] / h for d, h in zip(days, held)]
            targets[f"warehouse bytes per raw title held, day {days[-1]['day']} / day {kept + 1}"] = {
                "measured": round(per_title[-1] / per_title[kept], 3), "target": "<= 1.0", "met": per_title[-1] <= per_title[kept],
            }
    return targets


def render_table(results: dict) -> str:
    config = results["config"]
    lines = [
        f"bench_days: {config['days']} days at {config['titles']:,} titles, {config['change_rate']:.0%} changed a day; "
        f"kept: {config['raw_snapshots_kept']} raw dates, {config['dataset_versions_kept']} dataset versions, "
        f"{config['challengers_kept']} challengers  (sizes in MB; 'free blk': DuckDB's free blocks)",
        HEADER,
    ]
    lines += [render_row(day) for day in results["days"]]
    for name, target in results.get("targets", {}).items():
        verdict = "" if "met" not in target else ("  met" if target["met"] else "  MISSED")
        shown = {k: v for k, v in target.items() if k != "met"}
        lines.append(f"{name}: {shown}{verdict}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_days", description=__doc__.split("\n\n")[0])
    parser.add_argument("--titles", type=int, default=2_000_000, help="titles in day 1's snapshot (default 2 M)")
    parser.add_argument("--days", type=int, default=30, help="consecutive daily snapshots (default 30)")
    parser.add_argument("--change-rate", type=float, default=0.01, help="share of rows changed each day (default 1%%)")
    parser.add_argument("--raw-snapshots-kept", type=int, default=7, help="IMDB_ASSETS_RAW_SNAPSHOTS_KEPT (default 7)")
    parser.add_argument("--dataset-versions-kept", type=int, default=7, help="IMDB_ASSETS_DATASET_VERSIONS_KEPT (default 7 here)")
    parser.add_argument("--challengers-kept", type=int, default=3, help="IMDB_ASSETS_CHALLENGERS_KEPT (default 3 here)")
    parser.add_argument("--work-dir", type=Path, help="empty folder for snapshots and the home (default: a temporary one)")
    parser.add_argument("--keep-work", action="store_true", help="keep the work folder")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--show", type=Path, metavar="JSON", help="print the table of a saved result and exit")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.show:
        results = json.loads(args.show.read_text())
        results["targets"] = evaluate_targets(results)
        print(render_table(results))
        return 0
    work = args.work_dir.resolve() if args.work_dir else Path(tempfile.mkdtemp(prefix="imdb-days-bench-"))
    if work.exists() and any(work.iterdir()):
        print(f"bench_days: --work-dir {work} is not empty; give an empty or new folder", file=sys.stderr)
        return 2
    work.mkdir(parents=True, exist_ok=True)
    try:
        return DaysBench(args, work).run()
    except BenchmarkFailed as exc:
        print(f"bench_days: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
