"""`python -m imdb_assets.synth --out DIR [--titles N] [--seed S] [--from-snapshot DIR --change-rate R]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from imdb_assets.synth.generator import write_next_day, write_snapshot


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m imdb_assets.synth",
        description="Write a synthetic IMDb snapshot (title.basics.tsv.gz, title.ratings.tsv.gz) into a folder, "
        "or the next day's snapshot of an existing one (--from-snapshot).",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder to write the two files into")
    parser.add_argument("--titles", type=int, default=None, help="titles in a fresh snapshot (default 8000)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default 0, or 1 with --from-snapshot)")
    parser.add_argument("--from-snapshot", type=Path, default=None, help="write the day after this snapshot")
    parser.add_argument("--change-rate", type=float, default=None, help="with --from-snapshot (default 0.01)")
    args = parser.parse_args(argv)

    if args.from_snapshot is None:
        if args.change_rate is not None:
            parser.error("--change-rate needs --from-snapshot")
        titles = 8000 if args.titles is None else args.titles
        summary = write_snapshot(args.out, titles=titles, seed=0 if args.seed is None else args.seed)
    else:
        if args.titles is not None:
            parser.error("--titles is for a fresh snapshot, not with --from-snapshot")
        summary = write_next_day(
            args.from_snapshot,
            args.out,
            change_rate=0.01 if args.change_rate is None else args.change_rate,
            seed=1 if args.seed is None else args.seed,
        )
    print(summary.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
