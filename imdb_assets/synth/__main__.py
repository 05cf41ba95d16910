"""`python -m imdb_assets.synth --out DIR [--titles N] [--snapshot-date D] [--seed S] [--from-snapshot DIR --change-rate R]`.

The same command as `imdb-assets synth`, without loading the CLI package and its other commands.
"""

from __future__ import annotations

import sys

from imdb_assets.synth.command import plain_parser, run_parser


def main(argv: list[str] | None = None) -> int:
    return run_parser(plain_parser("python -m imdb_assets.synth"), argv)


if __name__ == "__main__":
    sys.exit(main())
