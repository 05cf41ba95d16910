"""`imdb-assets dataset`: the published dataset versions, and any one of them back, byte for byte."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path


def _repository():
    from imdb_assets.resources.environments import resources_for_env

    return resources_for_env()["dataset_repository"]


def _cmd_list(args: argparse.Namespace) -> int:
    from imdb_assets.dataset.assets import MOVIES_CSV_PATH

    records = _repository().versions(MOVIES_CSV_PATH)
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
        } for r in records], indent=2))
        return 0
    if not records:
        print("no dataset version published yet (run `imdb-assets run`)")
        return 0
    print(f"{'md5':<32}  {'published (UTC)':<25}  {'snapshot':<10}  {'rows':>9}  {'bytes':>11}")
    for record in records:
        latest = "  (latest)" if record is records[-1] else ""
        print(f"{record.md5:<32}  {record.published_at:<25}  {record.snapshot_date:<10}  {record.rows:>9}  {record.size:>11}{latest}")
    return 0


def _cmd_checkout(args: argparse.Namespace) -> int:
    from imdb_assets.dataset.assets import MOVIES_CSV_PATH
    from imdb_assets.dataset.registry import MD5_PATTERN
    from imdb_assets.resources.lake import file_md5

    repository = _repository()
    wanted = args.md5.strip().lower()
    if MD5_PATTERN.match(wanted) and not any(r.md5 == wanted for r in repository.versions(MOVIES_CSV_PATH)):
        md5 = wanted  # not in this registry (e.g. published elsewhere): the remote may still have it
    else:
        md5 = repository.registry(MOVIES_CSV_PATH).find(wanted).md5
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
    dataset = commands.add_parser("dataset", help="published dataset versions: list them, get any one back")
    sub = dataset.add_subparsers(dest="dataset_command", required=True)

    listing = sub.add_parser("list", help="every published version: md5, date, snapshot, rows")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(handler=_cmd_list)

    checkout = sub.add_parser(
        "checkout", help="write the exact CSV of a version (from the DVC cache, else the remote), verified by md5"
    )
    checkout.add_argument("md5", help="md5 of the version, or a unique prefix of at least 6 hex digits")
    checkout.add_argument("--out", help="where to write it (default: ./filtered_movies_incremental.<md5>.csv)")
    checkout.add_argument("--json", action="store_true", help="print one JSON object")
    checkout.set_defaults(handler=_cmd_checkout)
