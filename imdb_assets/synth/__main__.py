"""`python -m imdb_assets.synth --out DIR [--titles N] [--snapshot-date D] [--seed S] [--from-snapshot DIR --change-rate R]`.

The same command as `imdb-assets synth` (imdb_assets/cli/synth.py), usable without the CLI package.
"""

from __future__ import annotations

import sys

from imdb_assets.cli.synth import main as _synth_main


def main(argv: list[str] | None = None) -> int:
    return _synth_main(argv, prog="python -m imdb_assets.synth")


if __name__ == "__main__":
    sys.exit(main())
