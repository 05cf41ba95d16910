"""The synth command's arguments and what it prints, shared by `imdb-assets synth` and
`python -m imdb_assets.synth` (which must not load the CLI package and its other commands)."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Callable
from datetime import date
from pathlib import Path

from imdb_assets.synth.manifest import DEFAULT_CHANGE_RATE, DEFAULT_TITLES, write_synthetic_snapshot

DESCRIPTION = """
Write a synthetic IMDb snapshot (title.basics.tsv.gz, title.ratings.tsv.gz, in IMDb's format) into a
folder, or the next day's snapshot of an existing one (--from-snapshot), plus synth.json recording how
it was made. Load it with `imdb-assets run --source DIR --snapshot-date DAY`.
"""

EXAMPLES = [
    "imdb-assets synth --out /tmp/snap --titles 20000 --snapshot-date 2026-11-01",
    "imdb-assets synth --out /tmp/snap2 --from-snapshot /tmp/snap --change-rate 0.02",
    "imdb-assets run --source /tmp/snap --snapshot-date 2026-11-01",
]


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not within [0, 1] (0.01 = 1% of the rated titles change)")
    return value


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"snapshot date {text!r} is not YYYY-MM-DD") from None


def run_synth(args: argparse.Namespace) -> int:
    """The handler of parsed synth arguments: write the snapshot, print a summary (or the manifest as JSON)."""
    out = Path(args.out)
    summary, manifest = write_synthetic_snapshot(
        out,
        titles=args.titles,
        seed=args.seed,
        snapshot_date=args.snapshot_date,
        from_snapshot=None if args.from_snapshot is None else Path(args.from_snapshot),
        change_rate=args.change_rate,
    )
    if args.json:
        print(json.dumps({"out": str(out.resolve()), **manifest}))
        return 0
    print(summary.line())
    day = manifest["snapshot_date"]
    when = f" --snapshot-date {day}" if day else " --snapshot-date YYYY-MM-DD"
    print(f"load it with: imdb-assets run --source {out}{when}")
    return 0


def add_arguments(parser: argparse.ArgumentParser, snapshot_date: Callable[[str], date] = _iso_date) -> None:
    """The synth flags on `parser`; `snapshot_date` parses --snapshot-date (the CLI passes the type all its
    commands share)."""
    parser.add_argument(
        "--out", required=True, help="folder to write title.basics.tsv.gz, title.ratings.tsv.gz and synth.json into"
    )
    parser.add_argument(
        "--titles",
        type=_positive_int,
        help=f"titles in a fresh snapshot (default {DEFAULT_TITLES:,}; IMDb has ~11.8 M)",
    )
    parser.add_argument(
        "--snapshot-date",
        type=snapshot_date,
        help="the date this snapshot stands for, recorded in synth.json (default: none for a fresh snapshot, "
        "the day after the parent's with --from-snapshot); load it with `imdb-assets run --snapshot-date` of the same day",
    )
    parser.add_argument(
        "--seed", type=int, help="random seed: same arguments, same bytes (default 0, or 1 with --from-snapshot)"
    )
    parser.add_argument("--from-snapshot", help="write the day after the snapshot in this folder (may be --out itself)")
    parser.add_argument(
        "--change-rate",
        type=_rate,
        help=f"with --from-snapshot: share of rated titles that change (default {DEFAULT_CHANGE_RATE})",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object (the manifest and the folder)")
    parser.set_defaults(handler=run_synth)


def plain_parser(prog: str) -> argparse.ArgumentParser:
    """A parser for the command on its own, its help laid out without the CLI package's formatter."""
    # Raw text keeps the examples one per line; the description is wrapped here, never at a flag's hyphen.
    description = textwrap.fill(" ".join(DESCRIPTION.split()), 79, break_on_hyphens=False)
    epilog = "examples:\n" + "\n".join(f"  {line}" for line in EXAMPLES)
    parser = argparse.ArgumentParser(
        prog=prog, description=description, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_arguments(parser)
    return parser


def run_parser(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> int:
    """Parse and run; a bad combination or an unwritable folder is one line on stderr and exit code 1."""
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (ValueError, OSError) as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"{parser.prog}: error: {message}", file=sys.stderr)
        return 1
