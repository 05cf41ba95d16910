"""Serving benchmark: latency of single predictions and throughput of 1,000-row batches, over loopback HTTP.

Starts `imdb-assets serve` (uvicorn, one process) on a free port against a home holding a trained
champion, then drives it with one keep-alive httpx client:

  * single: >= 2,000 sequential POST /predict with one movie each -> p50 / p90 / p99 latency
  * batch:  sequential POST /predict with 1,000 movies each -> rows per second

Inputs are the home's own movie titles and genres (varied, as real traffic). Request bodies are
encoded before timing starts; everything else (client, HTTP, parsing, scoring, answer) is timed.
Targets on a 2-core machine: p50 <= 5 ms, p99 <= 20 ms, batch >= 20,000 rows/s, with the prediction log on.

Each run alternates rounds with the prediction log off (`--no-prediction-log`) and on (a temporary log
folder), off first, each round a fresh server on the same requests, so load on a shared machine falls on
both alike; the table shows the median of each mode's rounds and their ratio, and the log's counters
(every answer written, none dropped) are checked after each logging round's server stopped.

    python benchmarks/serving_bench.py                    # uses $IMDB_ASSETS_HOME (run `make run` first)
    python benchmarks/serving_bench.py --build-sample     # builds a temporary home on the bundled sample
    python benchmarks/serving_bench.py --rounds 3         # 3 rounds of each mode (default 2)

The server's own CPU time (from /proc) is recorded too: on a machine shared with other work the
wall-clock numbers move with the load, CPU per request much less.

Prints a table and writes benchmarks/results/serving-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pandas as pd

REPO_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_DIR / "benchmarks" / "results"
TARGETS = {"single_p50_ms": 5.0, "single_p99_ms": 20.0, "batch_rows_per_s": 20_000.0}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_command(port: int, *options: str) -> list[str]:
    """`imdb-assets serve` once the CLI registers it; the module itself until then (same code)."""
    from imdb_assets.cli import COMMAND_MODULES

    if any(module.__name__ == "imdb_assets.cli.serve" for module in COMMAND_MODULES):
        prefix = [sys.executable, "-c", "import sys; from imdb_assets.cli import main; sys.exit(main())", "serve"]
    else:
        prefix = [sys.executable, "-m", "imdb_assets.cli.serve"]
    return [*prefix, "--host", "127.0.0.1", "--port", str(port), *options]


def start_server(home: Path, log_path: Path, options: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "IMDB_ASSETS_HOME": str(home)}
    log = log_path.open("w")
    process = subprocess.Popen(serve_command(port, *options), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}; log: {log_path}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return process, base_url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    stop_server(process)
    raise SystemExit(f"server not ready after 60 s; log: {log_path}")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def build_sample_home(parent: Path) -> Path:
    home = parent / "home"
    env = {**os.environ, "IMDB_ASSETS_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    print(f"building a home on the bundled sample in {home} (about a minute) ...", file=sys.stderr)
    subprocess.run(
        [sys.executable, "-c", "import sys; from imdb_assets.cli import main; sys.exit(main())", "run", "--json"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return home


def movie_rows(home: Path) -> list[dict]:
    movies = pd.read_csv(home / "data" / "raw" / "filtered_movies_incremental.csv", keep_default_na=False)
    return [
        {"title": str(t), "genres": [g for g in str(g).split(",") if g], "tconst": str(c)}
        for t, g, c in zip(movies["primaryTitle"], movies["genres"], movies["tconst"])
    ]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]  # nearest rank


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): the server's work, whatever else runs."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_posts(client: httpx.Client, url: str, bodies: list[bytes]) -> list[float]:
    headers = {"content-type": "application/json"}
    seconds = []
    for body in bodies:
        started = time.perf_counter()
        response = client.post(url, content=body, headers=headers)
        seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"POST /predict answered {response.status_code}: {response.text[:200]}")
    return seconds


def request_bodies(home: Path, requests: int, batch_size: int, batches: int, warmup: int) -> tuple[list[bytes], list[bytes]]:
    """The same bodies for every round: single movies, then batches (each movie with a tconst, as a caller
    that wants its answers scored later sends it)."""
    rows = movie_rows(home)
    rng = random.Random(0)
    singles = [json.dumps(rng.choice(rows)).encode() for _ in range(warmup + requests)]
    batch_bodies = [json.dumps([rng.choice(rows) for _ in range(batch_size)]).encode() for _ in range(batches + 2)]
    return singles, batch_bodies


def logged_rows(log_dir: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.read_metadata(path).num_rows for path in log_dir.glob("day=*/*.parquet"))


def run(home: Path, singles: list[bytes], batch_bodies: list[bytes], warmup: int, batch_size: int, log_path: Path, prediction_log: Path | None) -> dict:
    options = ("--prediction-log-dir", str(prediction_log)) if prediction_log else ("--no-prediction-log",)
    process, base_url = start_server(home, log_path, options)
    counters = None
    try:
        with httpx.Client(base_url=base_url, timeout=30) as client:  # one keep-alive connection
            model_version = client.get("/model").json()["version"]
            timed_posts(client, "/predict", singles[:warmup] + batch_bodies[:2])  # warm caches and the connection
            cpu_start, client_start = cpu_seconds(process.pid), time.process_time()
            single = timed_posts(client, "/predict", singles[warmup:])
            cpu_single, client_single = cpu_seconds(process.pid) - cpu_start, time.process_time() - client_start
            batch = timed_posts(client, "/predict", batch_bodies[2:])
            cpu_batch = cpu_seconds(process.pid) - cpu_start - cpu_single
            client_batch = time.process_time() - client_start - client_single
            counters = client.get("/health").json().get("prediction_log")
    finally:
        stop_server(process)
    single_ms = [s * 1000 for s in single]
    answered = len(singles) + batch_size * len(batch_bodies)
    log = None
    if prediction_log:
        # After a clean stop every answer is in the log; the counters were read before the stop.
        log = {"rows_answered": answered, "rows_in_log": logged_rows(prediction_log), "rows_dropped_before_stop": counters["rows_dropped"], "files": len(list(prediction_log.glob("day=*/*.parquet")))}
    return {
        "model_version": model_version,
        "prediction_log": log,
        "single": {
            "requests": len(single_ms),
            "p50_ms": percentile(single_ms, 50),
            "p90_ms": percentile(single_ms, 90),
            "p99_ms": percentile(single_ms, 99),
            "max_ms": max(single_ms),
            "mean_ms": statistics.fmean(single_ms),
            "requests_per_s": len(single) / sum(single),
            "server_cpu_ms_per_request": cpu_single * 1000 / len(single),
            "client_cpu_ms_per_request": client_single * 1000 / len(single),
        },
        "batch": {
            "batch_size": batch_size,
            "batches": len(batch),
            "p50_ms": percentile([s * 1000 for s in batch], 50),
            "max_ms": max(batch) * 1000,
            "rows_per_s": batch_size * len(batch) / sum(batch),
            "rows_per_server_cpu_s": batch_size * len(batch) / cpu_batch if cpu_batch else None,
            "client_cpu_ms_per_batch": client_batch * 1000 / len(batch),
        },
    }


MEASURES = [
    # (name, key path, format, target text, target test)
    ("single request p50 (ms)", ("single", "p50_ms"), "{:.2f}", "<= 5", lambda v: v <= 5),
    ("single request p90 (ms)", ("single", "p90_ms"), "{:.2f}", "", None),
    ("single request p99 (ms)", ("single", "p99_ms"), "{:.2f}", "<= 20", lambda v: v <= 20),
    ("single requests per second", ("single", "requests_per_s"), "{:.0f}", "", None),
    ("server CPU per single request (ms)", ("single", "server_cpu_ms_per_request"), "{:.2f}", "", None),
    ("batch of 1,000: p50 latency (ms)", ("batch", "p50_ms"), "{:.1f}", "", None),
    ("batch throughput (rows/s)", ("batch", "rows_per_s"), "{:.0f}", ">= 20000", lambda v: v >= 20_000),
    ("batch rows per server CPU second", ("batch", "rows_per_server_cpu_s"), "{:.0f}", "", None),
]


def median_of(rounds: list[dict], path: tuple[str, str]) -> float:
    return statistics.median(r[path[0]][path[1]] or 0.0 for r in rounds)


def table(by_mode: dict[str, list[dict]]) -> str:
    """Medians of each mode's rounds side by side; targets judged with the log on."""
    lines = [f"{'measure':<38} {'log off':>10} {'log on':>10} {'on/off':>7} {'target':>9}  met (log on)"]
    for name, path, shown, target, test in MEASURES:
        off, on = median_of(by_mode["off"], path), median_of(by_mode["on"], path)
        ratio = f"{on / off:.2f}" if off else "-"
        met = "" if test is None else ("yes" if test(on) else "NO")
        lines.append(f"{name:<38} {shown.format(off):>10} {shown.format(on):>10} {ratio:>7} {target:>9}  {met}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="IMDB_ASSETS_HOME with a trained champion (default: $IMDB_ASSETS_HOME or .imdb_assets)")
    parser.add_argument("--build-sample", action="store_true", help="first build a temporary home on the bundled sample")
    parser.add_argument("--requests", type=int, default=2000, help="single-movie requests to time (default: 2000)")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each mode, alternated off/on (default: 2)")
    parser.add_argument("--out", type=Path, help="JSON result file (default: benchmarks/results/serving-<UTC time>.json)")
    args = parser.parse_args(argv)

    by_mode: dict[str, list[dict]] = {"off": [], "on": []}
    load_by_round = []
    with tempfile.TemporaryDirectory(prefix="serving-bench-") as tmp:
        if args.build_sample:
            home = build_sample_home(Path(tmp))
        else:
            home = (args.home or Path(os.environ.get("IMDB_ASSETS_HOME", REPO_DIR / ".imdb_assets"))).resolve()
        if not (home / "models").is_dir():
            print(f"no model store in {home}: run `make run` (or pass --build-sample)", file=sys.stderr)
            return 1
        singles, batch_bodies = request_bodies(home, args.requests, args.batch_size, args.batches, args.warmup)
        started_at = datetime.now(timezone.utc)
        load_before = os.getloadavg()
        for round_number in range(args.rounds):
            for mode in ("off", "on"):
                log_dir = Path(tmp) / f"predictions-{round_number}" if mode == "on" else None
                result = run(home, singles, batch_bodies, args.warmup, args.batch_size, Path(tmp) / f"server-{mode}-{round_number}.log", log_dir)
                by_mode[mode].append(result)
                load_by_round.append({"round": round_number + 1, "log": mode, "load_average_after": os.getloadavg()[0]})
                print(
                    f"round {round_number + 1} log {mode}: p50 {result['single']['p50_ms']:.2f} ms, p99 {result['single']['p99_ms']:.2f} ms, "
                    f"batch {result['batch']['rows_per_s']:.0f} rows/s, load {os.getloadavg()[0]:.2f}",
                    file=sys.stderr,
                )
                if mode == "on":
                    log = result["prediction_log"]
                    if log["rows_in_log"] != log["rows_answered"]:
                        raise SystemExit(f"the prediction log holds {log['rows_in_log']} rows for {log['rows_answered']} answers")
    on = by_mode["on"]
    report = {
        "benchmark": "serving",
        "started_at": started_at.isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
            "load_average_by_round": load_by_round,
        },
        "settings": {"requests": args.requests, "warmup": args.warmup, "batch_size": args.batch_size, "batches": args.batches, "rounds": args.rounds},
        "targets": TARGETS,
        "results": by_mode,
        "medians": {mode: {f"{p[0]}_{p[1]}": median_of(rounds, p) for _, p, *_ in MEASURES} for mode, rounds in by_mode.items()},
        "targets_met_with_log_on": {
            "single_p50_ms": median_of(on, ("single", "p50_ms")) <= TARGETS["single_p50_ms"],
            "single_p99_ms": median_of(on, ("single", "p99_ms")) <= TARGETS["single_p99_ms"],
            "batch_rows_per_s": median_of(on, ("batch", "rows_per_s")) >= TARGETS["batch_rows_per_s"],
        },
    }
    out = args.out or RESULTS_DIR / f"serving-{started_at:%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"serving benchmark: model {on[0]['model_version']}, {os.cpu_count()} CPUs, load average {load_before[0]:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after; {args.rounds} rounds per mode, alternated (medians)"
    )
    print(table(by_mode))
    logged = on[-1]["prediction_log"]
    print(f"prediction log (last round): {logged['rows_in_log']} of {logged['rows_answered']} answers written in {logged['files']} files, {logged['rows_dropped_before_stop']} dropped")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
