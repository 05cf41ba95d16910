"""One benchmark step in its own process: materialize an asset selection in a home, report what happened.

    python -m benchmarks.scale.step_child --home H --source S --assets a,b [--partition D] --result-file F

Drives the public entry point (`dagster.materialize` over the code location's assets and checks, with
the environment's resources and the home's Dagster instance), exactly as `imdb-assets run` does for its
two halves. Writes a JSON result: time spent importing, the materialize call, each Dagster step (from
the run's event log), the materializations' metadata and check results, and for the dbt step, dbt's own
timings and DuckDB's scan counters for the model's SQL (see `dbt_scan.py`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

import psutil

STEP_EVENTS_END = ("STEP_SUCCESS", "STEP_FAILURE")


def _json_safe(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return str(value)


def _scalar_metadata(metadata: dict) -> dict:
    """Numbers, short strings and small dicts of numbers only: tables and markdown are for the UI."""
    kept = {}
    for key, entry in metadata.items():
        value = getattr(entry, "value", entry)
        if isinstance(value, (int, float, bool)) or (isinstance(value, str) and len(value) <= 200):
            kept[key] = value
        elif isinstance(value, dict) and len(value) <= 20 and all(isinstance(v, (int, float)) for v in value.values()):
            kept[key] = value  # small tables of numbers: the steps' own timings
    return kept


def dbt_command_span(instance, run_id: str) -> dict[str, float]:
    """When dagster-dbt started the dbt subprocess and when it saw it finish (Unix times), from its logs."""
    span: dict[str, float] = {}
    for entry in instance.all_logs(run_id):
        message = entry.user_message or ""
        if message.startswith("Running dbt command"):
            span["started"] = entry.timestamp
        elif message.startswith("Finished dbt command"):
            span["finished"] = entry.timestamp
    return span


def step_timeline(instance, run_id: str) -> dict:
    """Per Dagster step: seconds from STEP_START to STEP_SUCCESS/FAILURE; plus the dbt command's span."""
    starts: dict[str, float] = {}
    steps: dict[str, float] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is not None and event.step_key:
            if event.event_type_value == "STEP_START":
                starts[event.step_key] = entry.timestamp
            elif event.event_type_value in STEP_EVENTS_END and event.step_key in starts:
                steps[event.step_key] = round(entry.timestamp - starts[event.step_key], 3)
    span = dbt_command_span(instance, run_id)
    if "started" in span and "finished" in span:
        steps["dbt command (subprocess)"] = round(span["finished"] - span["started"], 3)
    return steps


def runs_timeline(dagster_home: Path, since: float) -> list[dict]:
    """Step timelines of every Dagster run an instance recorded after `since` (a Unix time), oldest first:
    how `imdb-assets run` (one run for the partition, one for everything downstream) spent its time."""
    from datetime import datetime, timezone

    from dagster import DagsterInstance, RunsFilter

    instance = DagsterInstance.from_config(str(dagster_home))
    try:
        records = instance.get_run_records(
            filters=RunsFilter(created_after=datetime.fromtimestamp(since, tz=timezone.utc))
        )
        records = sorted(records, key=lambda r: r.create_timestamp)
        return [
            {
                "run_id": r.dagster_run.run_id,
                "status": r.dagster_run.status.value,
                "steps": step_timeline(instance, r.dagster_run.run_id),
            }
            for r in records
        ]
    finally:
        instance.dispose()


def _materializations(instance, run_id: str, asset_keys: list[str]) -> dict:
    from dagster import AssetKey

    found = {}
    for key in asset_keys:
        event = instance.get_latest_materialization_event(AssetKey(key))
        if event is None or event.run_id != run_id or event.asset_materialization is None:
            continue
        found[key] = _json_safe(_scalar_metadata(event.asset_materialization.metadata))
    return found


def _check_results(result) -> list[dict]:
    checks = []
    for evaluation in result.get_asset_check_evaluations():
        checks.append(
            {
                "asset": evaluation.asset_key.to_user_string(),
                "check": evaluation.check_name,
                "passed": evaluation.passed,
                "severity": str(getattr(evaluation.severity, "value", evaluation.severity)),
            }
        )
    return checks


def _failure(result) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            while error.cause and error.cls_name in (
                "DagsterExecutionStepExecutionError",
                "DagsterUserCodeExecutionError",
            ):
                error = error.cause
            return f"{event.step_key}: {error.message.strip().splitlines()[0]}"
    return "run failed"


def _cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()  # children_*: processes this one waited for (the dbt subprocess)
    return times.user + times.system + times.children_user + times.children_system


def run_step(name: str, asset_keys: list[str], partition: str | None, source: str, sample_memory: bool) -> dict:
    """Materialize one selection and time it; with `sample_memory`, sample this process tree's memory
    meanwhile (only when steps share the process: the sampling thread takes the GIL every
    `SAMPLE_SECONDS`, slowing Python-heavy steps, and a step alone in its process is measured from
    outside by the parent, as the naive baseline is)."""
    from dagster import AssetKey, materialize

    from benchmarks.scale.measure import TreeSampler
    from imdb_assets import definitions
    from imdb_assets.instance import local_instance
    from imdb_assets.partitions import register_snapshot_dates
    from imdb_assets.settings import local_paths

    defs = definitions.build_definitions(source=source)
    instance = local_instance(local_paths().dagster_home)
    if partition:
        register_snapshot_dates(instance, [partition])  # snapshot dates are dynamic partitions
    checks = list(getattr(definitions, "ALL_ASSET_CHECKS", []))
    me = psutil.Process()
    sampler = TreeSampler(me.pid) if sample_memory else None
    cpu_before = _cpu_seconds(me)
    if sampler:
        sampler.start()
    started = time.perf_counter()
    try:
        result = materialize(
            [*definitions.ALL_ASSETS, *checks],
            selection=[AssetKey(k) for k in asset_keys],
            partition_key=partition,
            instance=instance,
            resources=defs.resources,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            raise_on_error=False,
        )
    finally:
        materialize_seconds = time.perf_counter() - started
        if sampler:
            sampler.stop()
    report = {
        "name": name,
        "assets": asset_keys,
        "partition": partition,
        "success": result.success,
        "failure": None if result.success else _failure(result),
        "run_id": result.run_id,
        "materialize_seconds": round(materialize_seconds, 3),
        # Measured from inside: exact when the step has the process to itself, and still per step when
        # several steps share one process (--small), where the parent's numbers cover them all.
        "in_process": {
            "cpu_seconds": round(_cpu_seconds(me) - cpu_before, 3),
            "peak_rss_mb": round(sampler.peak_rss / 2**20, 1) if sampler else None,
        },
        "steps": step_timeline(instance, result.run_id),
        "metadata": _materializations(instance, result.run_id, asset_keys),
        "checks": _check_results(result),
    }
    if result.success and "filtered_movies_incremental" in asset_keys:
        from benchmarks.scale.dbt_scan import dbt_invocation_report

        report["dbt"] = dbt_invocation_report(
            result.run_id, local_paths().warehouse, dbt_command_span(instance, result.run_id)
        )
    instance.dispose()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale.step_child")
    parser.add_argument("--home", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument(
        "--plan",
        required=True,
        help='JSON list of steps run one after another: [{"name": "ingest", "assets": [...], "partition": "YYYY-MM-DD" or null}]',
    )
    parser.add_argument("--result-file", required=True)
    args = parser.parse_args(argv)

    os.environ["IMDB_ASSETS_HOME"] = args.home
    os.environ.pop("DAGSTER_HOME", None)
    process_started = psutil.Process().create_time()
    plan = json.loads(args.plan)
    reports: dict[str, dict] = {}
    # dbt and DVC print to stdout; the result goes to a file, the logs to the measured log.
    with contextlib.redirect_stdout(sys.stderr):
        import warnings

        import dagster  # noqa: F401 -- imported here so its import time is counted apart from the steps

        import imdb_assets.definitions  # noqa: F401

        warnings.filterwarnings("ignore", category=Warning, module="dagster")
        imported = time.time()
        for step in plan:
            reports[step["name"]] = run_step(
                step["name"], step["assets"], step.get("partition"), args.source, sample_memory=len(plan) > 1
            )
            if not reports[step["name"]]["success"]:
                break
    result = {"import_seconds": round(imported - process_started, 3), "steps": reports}
    Path(args.result_file).write_text(json.dumps(_json_safe(result), indent=2))
    return 0 if all(r["success"] for r in reports.values()) and len(reports) == len(plan) else 1


if __name__ == "__main__":
    sys.exit(main())
