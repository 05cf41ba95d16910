"""`imdb-assets run` (the whole graph in this process) and `imdb-assets ingest` (raw partitions only)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import warnings

from imdb_assets.cli.arguments import snapshot_date, today


def _cmd_run(args: argparse.Namespace) -> int:
    from dagster import BetaWarning

    from imdb_assets.home_lock import home_lock
    from imdb_assets.instance import local_instance
    from imdb_assets.pipeline_run import run_pipeline
    from imdb_assets.settings import imdb_source, local_paths

    paths = local_paths()
    if args.dataset_version and (args.source or args.snapshot_date):
        raise ValueError("--dataset-version re-uses a published dataset: it takes no --source or --snapshot-date")
    # Keep stdout for the summary (and clean JSON): progress, dbt's and Dagster's output go to stderr.
    with home_lock(paths.home, "run"), contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():
        warnings.simplefilter("ignore", category=BetaWarning)
        summary = run_pipeline(
            None if args.dataset_version else (args.snapshot_date or today()),
            args.source or imdb_source(),
            local_instance(paths.dagster_home),
            verbose=args.verbose,
            dataset_version=args.dataset_version,
            report=lambda note: print(f"imdb-assets: {note}", file=sys.stderr),
        )
    if args.json:
        print(json.dumps(summary.as_dict(), indent=2, default=str))
        return 0
    if args.dataset_version:
        print(f"imdb_assets: retrained on dataset version {summary.dataset.get('md5')} (snapshot {summary.snapshot_date}) in {paths.home}")
    else:
        print(f"imdb_assets: materialized snapshot {summary.snapshot_date} into {paths.home}")
    print(f"{'asset':<30} {'rows':>10}  data version")
    for key, info in summary.assets.items():
        print(f"{key:<30} {info['rows'] if info['rows'] is not None else '-'!s:>10}  {info['data_version'] or '-'}")
    metrics = summary.model["metrics"]
    print(f"model {summary.model['version']} (dataset {summary.model['dataset_version']}):")
    print("  " + "  ".join(f"{k}={v:.3f}" for k, v in metrics.items() if v is not None))
    model = summary.model
    if model.get("threshold") is not None:
        print(f"  decision threshold {model['threshold']:.3f}")
    for name, baseline in (model.get("baselines") or {}).items():
        if isinstance(baseline, dict) and baseline.get("roc_auc") is not None:
            print(f"  baseline {name}: roc_auc={baseline['roc_auc']:.3f}  balanced_accuracy={baseline.get('balanced_accuracy', float('nan')):.3f}")
    verdict = "promoted to champion" if model.get("promoted") else "not promoted"
    print(f"champion: {model.get('champion_version')} — {model.get('reason') or verdict}")
    return 0


def _cmd_ingest(args: argparse.Namespace) -> int:
    from imdb_assets.home_lock import home_lock
    from imdb_assets.ingest.load import ingest_snapshot
    from imdb_assets.partitions import check_snapshot_date
    from imdb_assets.environments import resources_for_env
    from imdb_assets.settings import local_paths

    # A future date would load but never be built (the sensor skips it): refuse it before any work.
    check_snapshot_date(args.snapshot_date)
    warehouse = resources_for_env()["warehouse"]
    with home_lock(local_paths().home, "ingest"):
        result = ingest_snapshot(args.source, args.snapshot_date, warehouse)
    if args.json:
        print(json.dumps({"snapshot_date": args.snapshot_date.isoformat(), "rows": result.rows_loaded}))
    else:
        for name, rows in result.rows_loaded.items():
            print(f"{name}: {rows} rows loaded for snapshot {args.snapshot_date}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="ingest a snapshot and materialize the whole asset graph in this process")
    run.add_argument("--source", help="folder or base URL holding IMDb's .tsv.gz files (default: bundled sample)")
    run.add_argument("--snapshot-date", type=snapshot_date, help="partition to load (default: today, UTC)")
    run.add_argument("--json", action="store_true", help="print one JSON object")
    run.add_argument("--verbose", action="store_true", help="show Dagster's event log")
    run.add_argument(
        "--dataset-version",
        metavar="MD5",
        help="re-prepare features and retrain on this published dataset version (md5 or unique prefix from "
        "`imdb-assets dataset list`); nothing is ingested",
    )
    run.set_defaults(handler=_cmd_run)

    ingest = commands.add_parser("ingest", help="load one snapshot into the warehouse's raw tables only")
    ingest.add_argument("--source", required=True, help="folder or base URL holding IMDb's .tsv.gz files")
    ingest.add_argument("--snapshot-date", type=snapshot_date, required=True)
    ingest.add_argument("--json", action="store_true")
    ingest.set_defaults(handler=_cmd_ingest)
