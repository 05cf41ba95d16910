"""`imdb-assets synth`: write a synthetic IMDb snapshot (or the next day of one) into a folder.

The folder gets IMDb's two files, `title.basics.tsv.gz` and `title.ratings.tsv.gz`, ready for
`imdb-assets run --source DIR`, plus `synth.json`, which records how they were made (seed, sizes,
change rate, parent snapshot) and the snapshot date they stand for. The files carry no date (IMDb's do
not either): the warehouse partition is chosen at load time by `--snapshot-date` of `run`/`ingest`, and
`synth.json` keeps the date so a script can pass the same one. For a next-day snapshot the date defaults
to the day after the parent's.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta
from pathlib import Path

from imdb_assets.cli.arguments import add_command, command_texts, snapshot_date
from imdb_assets.files import atomic_write_text

MANIFEST_FILE = "synth.json"
DEFAULT_TITLES = 8000
DEFAULT_CHANGE_RATE = 0.01

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


def read_manifest(folder: Path) -> dict:
    """`synth.json` of a synthetic snapshot folder ({} for a folder without one, e.g. IMDb's own files)."""
    path = Path(folder) / MANIFEST_FILE
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: unreadable synth manifest ({exc})") from None


def _write_manifest(folder: Path, manifest: dict) -> None:
    # Written after the data files were renamed into place: a manifest never describes files that are not there.
    atomic_write_text(folder / MANIFEST_FILE, json.dumps(manifest, indent=2) + "\n")


def _next_day_date(parent: dict) -> date | None:
    text = parent.get("snapshot_date")
    return date.fromisoformat(text) + timedelta(days=1) if text else None


def _cmd_synth(args: argparse.Namespace) -> int:
    from imdb_assets.synth.generator import BASICS_FILE, RATINGS_FILE, write_next_day, write_snapshot

    out = Path(args.out)
    if args.from_snapshot is None:
        if args.change_rate is not None:
            raise ValueError("--change-rate needs --from-snapshot (the snapshot the changes are made to)")
        seed = 0 if args.seed is None else args.seed
        titles = DEFAULT_TITLES if args.titles is None else args.titles
        day = args.snapshot_date
        summary = write_snapshot(out, titles=titles, seed=seed)
        lineage: dict = {"kind": "fresh", "titles_requested": titles}
    else:
        if args.titles is not None:
            raise ValueError(
                "--titles is for a fresh snapshot; a next-day snapshot grows from --from-snapshot by --change-rate"
            )
        source = Path(args.from_snapshot)
        if not (source / BASICS_FILE).is_file() or not (source / RATINGS_FILE).is_file():
            raise ValueError(f"{source}: --from-snapshot needs a folder holding {BASICS_FILE} and {RATINGS_FILE}")
        parent = read_manifest(source)  # before writing: the target may be the same folder
        seed = 1 if args.seed is None else args.seed
        rate = DEFAULT_CHANGE_RATE if args.change_rate is None else args.change_rate
        day = args.snapshot_date or _next_day_date(parent)
        summary = write_next_day(source, out, change_rate=rate, seed=seed)
        lineage = {
            "kind": "next_day",
            "from_snapshot": str(source.resolve()),
            "from_snapshot_date": parent.get("snapshot_date"),
            "change_rate": rate,
        }
    manifest = {
        "generator": "imdb_assets.synth",
        "snapshot_date": day.isoformat() if day else None,
        "seed": seed,
        **lineage,
        "titles": summary.titles,
        "ratings": summary.rated,
        "rated_movies": summary.rated_movies,
        "seconds": round(summary.seconds, 3),
        "files": {name: {"bytes": (out / name).stat().st_size} for name in (BASICS_FILE, RATINGS_FILE)},
    }
    _write_manifest(out, manifest)
    if args.json:
        print(json.dumps({"out": str(out.resolve()), **manifest}))
        return 0
    print(summary.line())
    when = f" --snapshot-date {day.isoformat()}" if day else " --snapshot-date YYYY-MM-DD"
    print(f"load it with: imdb-assets run --source {out}{when}")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
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
    parser.set_defaults(handler=_cmd_synth)


def register(commands: argparse._SubParsersAction) -> None:
    help = "write a synthetic IMDb snapshot in IMDb's file format (or the next day of one)"
    add_arguments(add_command(commands, "synth", help=help, description=DESCRIPTION, examples=EXAMPLES))


def main(argv: list[str] | None = None, prog: str = "imdb-assets synth") -> int:
    """The command on its own (for `python -m imdb_assets.synth` and before the CLI package lists it)."""
    parser = argparse.ArgumentParser(prog=prog, **command_texts(DESCRIPTION, EXAMPLES))
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (ValueError, OSError) as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
