"""`imdb-assets dataset`: the published dataset versions, and any one of them back, byte for byte."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path, PurePosixPath

from imdb_assets.cli.arguments import add_command

# imdb_assets.dataset.layout.MOVIES_CSV_PATH, spelled out: that module brings DuckDB, pandas and Dagster,
# seconds of imports for `dataset list`, which reads one small file (a test holds the two equal).
MOVIES_CSV_PATH = "raw/filtered_movies_incremental.csv"


def _repository():
    from imdb_assets.environments import resources_for_env

    return resources_for_env()["dataset_repository"]


def _repository_dir() -> Path:
    """The `repo_dir` of the environment's dataset repository resource, without building the resources."""
    from imdb_assets.settings import current_env, local_paths

    if current_env() == "prod":
        from imdb_assets.prod_settings import load_prod_settings

        return load_prod_settings().work_dir / "data"
    return local_paths().data_dir


def _registry():
    """`DatasetRepository.registry(MOVIES_CSV_PATH)` of the environment's resources, read without Dagster."""
    from imdb_assets.dataset.registry import VersionRegistry

    tracked = _repository_dir().resolve() / MOVIES_CSV_PATH
    return VersionRegistry(tracked.with_name(PurePosixPath(MOVIES_CSV_PATH).name + ".versions.jsonl"))


def _cmd_list(args: argparse.Namespace) -> int:
    from imdb_assets.dataset.collected import read_collected

    registry = _registry()
    records = registry.records()
    collected = read_collected(registry.path)
    if args.json:
        print(json.dumps([{
            "md5": r.md5,
            "published_at": r.published_at,
            "snapshot_date": r.snapshot_date,
            "snapshot_dates": r.snapshot_dates,
            "rows": r.rows,
            "size_bytes": r.size,
            "remote_object": r.remote_object,
            "lake": r.lake,
            # False once `imdb-assets gc` removed it from the DVC cache and remote (the lake keeps a copy).
            "kept": r.md5 not in collected,
            "collected_at": collected[r.md5].collected_at if r.md5 in collected else None,
        } for r in records], indent=2))
        return 0
    if not records:
        print("no dataset version published yet (run `imdb-assets run`)")
        return 0
    print(f"{'md5':<32}  {'published (UTC)':<25}  {'snapshot':<10}  {'rows':>9}  {'bytes':>11}  kept in DVC")
    for record in records:
        latest = "  (latest)" if record is records[-1] else ""
        kept = f"collected {collected[record.md5].collected_at[:10]}" if record.md5 in collected else "kept"
        print(f"{record.md5:<32}  {record.published_at:<25}  {record.snapshot_date:<10}  {record.rows:>9}  {record.size:>11}  {kept}{latest}")
    return 0


def _cmd_checkout(args: argparse.Namespace) -> int:
    from imdb_assets.dataset.registry import MD5_PATTERN
    from imdb_assets.resources.lake import file_md5

    from imdb_assets.dataset.collected import read_collected

    repository = _repository()
    wanted = args.md5.strip().lower()
    collected = read_collected(repository.registry(MOVIES_CSV_PATH).path)
    if MD5_PATTERN.match(wanted) and not any(r.md5 == wanted for r in repository.versions(MOVIES_CSV_PATH)):
        md5 = wanted  # not in this registry (e.g. published elsewhere): the remote may still have it
    else:
        md5 = repository.registry(MOVIES_CSV_PATH).find(wanted).md5
    if md5 in collected:
        raise FileNotFoundError(
            f"dataset version {md5} was collected by `imdb-assets gc` on {collected[md5].collected_at[:10]} "
            "(not among the newest kept nor a kept model's); its lake copy is listed in `imdb-assets dataset list --json`"
        )
    out = Path(args.out) if args.out else Path.cwd() / f"{Path(MOVIES_CSV_PATH).stem}.{md5}.csv"
    with contextlib.redirect_stdout(sys.stderr):  # DVC's progress output
        repository.materialize_version(md5, out, MOVIES_CSV_PATH)
    actual = file_md5(out)  # materialize_version verified it; say so from the file actually written
    if args.json:
        print(json.dumps({"md5": actual, "path": str(out.resolve()), "size_bytes": out.stat().st_size}))
    else:
        print(f"{out.resolve()}: dataset version {actual} ({out.stat().st_size} bytes, md5 verified)")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    dataset = add_command(
        commands,
        "dataset",
        help="published dataset versions: list them, get any one back",
        description="""
        The movies dataset (the CSV the model trains on) is versioned with DVC: every published
        version is named by its md5 and kept in the DVC remote. List them, or write any one back to
        a file, byte for byte. `imdb-assets run --dataset-version MD5` retrains on one.
        """,
        examples=["imdb-assets dataset list", "imdb-assets dataset checkout 3f2a9c --out movies.csv"],
    )
    sub = dataset.add_subparsers(dest="dataset_command", required=True)

    listing = add_command(
        sub,
        "list",
        help="every published version: md5, date, snapshot, rows",
        description="""
        Every published version of the movies dataset, oldest first: its md5, when it was published
        (UTC), the newest snapshot it covers, its rows and size, and whether the DVC cache and remote
        still keep it (`imdb-assets gc` collects old ones); the last one is the latest.
        """,
        examples=["imdb-assets dataset list", "imdb-assets dataset list --json"],
    )
    listing.add_argument(
        "--json", action="store_true", help="print a JSON array (also snapshot_dates, remote_object and lake)"
    )
    listing.set_defaults(handler=_cmd_list)

    checkout = add_command(
        sub,
        "checkout",
        help="write the exact CSV of a version (from the DVC cache, else the remote), verified by md5",
        description="""
        Write the exact CSV of one published version, from the DVC cache or else fetched from the DVC
        remote, and check its md5 before saying it is done. A version published elsewhere (not in
        this registry) can be named by its full md5.
        """,
        examples=[
            "imdb-assets dataset checkout 3f2a9c",
            "imdb-assets dataset checkout 3f2a9c0d1e2b3a4f5c6d7e8f9a0b1c2d --out /tmp/movies.csv --json",
        ],
    )
    checkout.add_argument("md5", help="md5 of the version, or a unique prefix of at least 6 hex digits")
    checkout.add_argument("--out", help="where to write it (default: ./filtered_movies_incremental.<md5>.csv)")
    checkout.add_argument("--json", action="store_true", help="print one JSON object: md5, path, size_bytes")
    checkout.set_defaults(handler=_cmd_checkout)
