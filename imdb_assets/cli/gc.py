"""`imdb-assets gc`: collect old dataset versions (DVC cache and remote), models and dbt's folders."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys

from imdb_assets.cli.arguments import add_command


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def _refuse_while_runs_are_in_progress(home) -> None:
    """Runs launched by `make dev`'s daemon hold no home lock: ask the home's instance instead. A run
    publishing a dataset while DVC's gc indexes the pointers could lose its new object."""
    from dagster import DagsterRunStatus, RunsFilter

    from imdb_assets.instance import local_instance
    from imdb_assets.run_recovery import fail_runs_of_ended_processes
    from imdb_assets.settings import local_paths, user_dagster_home

    if user_dagster_home() is None and not local_paths().dagster_home.exists():
        return
    instance = local_instance(local_paths().dagster_home)
    fail_runs_of_ended_processes(instance)
    running = instance.get_run_records(
        RunsFilter(statuses=[DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]), limit=5
    )
    if running:
        ids = ", ".join(r.dagster_run.run_id[:8] for r in running)
        raise RuntimeError(f"Dagster run(s) {ids} are in progress on {home}; run gc once they have finished")


def _cmd_gc(args: argparse.Namespace) -> int:
    from imdb_assets.automation.garbage import collect_garbage
    from imdb_assets.cli.dataset import MOVIES_CSV_PATH
    from imdb_assets.environments import resources_for_env
    from imdb_assets.home_lock import home_lock
    from imdb_assets.settings import DBT_PROJECT_DIR, challengers_kept, dataset_versions_kept, local_paths

    resources = resources_for_env()
    home = local_paths().home
    with home_lock(home, "gc"), contextlib.redirect_stdout(sys.stderr):  # DVC's progress output
        _refuse_while_runs_are_in_progress(home)
        report = collect_garbage(
            resources["dataset_repository"],
            MOVIES_CSV_PATH,
            resources["model_store"].store(),
            dataset_versions_kept=args.dataset_versions_kept or dataset_versions_kept(),
            challengers_kept=args.challengers_kept if args.challengers_kept is not None else challengers_kept(),
            dbt_target_dir=DBT_PROJECT_DIR / "target",
            dry_run=args.dry_run,
        )
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, sort_keys=True))
        return 0
    verb = "would free" if args.dry_run else "freed"
    print(f"imdb-assets gc: {verb} {_megabytes(report.bytes_freed)}"
          f" (datasets {_megabytes(report.dataset_bytes_freed)}, models {_megabytes(report.model_bytes_freed)}, dbt {_megabytes(report.dbt_bytes_freed)})")
    for version in report.datasets_collected:
        where = " and ".join(w for w, held in (("cache", version["in_cache"]), ("remote", version["on_remote"])) if held) or "nowhere"
        print(f"  dataset {version['md5']} (snapshot {version['snapshot_date']}, {_megabytes(version['size'])}) from the DVC {where}")
    for model in report.models_deleted:
        print(f"  model {model['version']} ({_megabytes(model['bytes'])})")
    if report.dbt_folders_removed:
        print(f"  {len(report.dbt_folders_removed)} dbt invocation folder(s) in dbt_project/target/")
    print(f"kept: {len(report.datasets_kept)} dataset version(s), {len(report.models_kept)} model(s)")
    return 0


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _zero_or_more(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} must be 0 or more")
    return value


def register(commands: argparse._SubParsersAction) -> None:
    gc = add_command(
        commands,
        "gc",
        help="collect old dataset versions, models and dbt folders; print what was freed",
        description="""
        Keep the newest dataset versions (IMDB_ASSETS_DATASET_VERSIONS_KEPT, default 30) and every
        version a kept model was trained on, and remove the rest from the DVC cache and the DVC remote
        with DVC's own gc; keep the champion, every earlier champion and the newest challengers
        (IMDB_ASSETS_CHALLENGERS_KEPT, default 10) and delete the other models; remove all but the
        newest dbt invocation folders older than an hour. The lake is the archive and is never
        collected. Refused while a run uses the home.
        """,
        examples=["imdb-assets gc --dry-run", "imdb-assets gc --json", "imdb-assets gc --dataset-versions-kept 7"],
    )
    gc.add_argument("--dry-run", action="store_true", help="say what would be freed; change nothing")
    gc.add_argument("--json", action="store_true", help="print one JSON object")
    gc.add_argument("--dataset-versions-kept", type=_at_least_one, metavar="N", help="override IMDB_ASSETS_DATASET_VERSIONS_KEPT")
    gc.add_argument("--challengers-kept", type=_zero_or_more, metavar="M", help="override IMDB_ASSETS_CHALLENGERS_KEPT")
    gc.set_defaults(handler=_cmd_gc)
