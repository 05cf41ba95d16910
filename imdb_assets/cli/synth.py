"""`imdb-assets synth`: write a synthetic IMDb snapshot (or the next day of one) into a folder.

The folder gets IMDb's two files, `title.basics.tsv.gz` and `title.ratings.tsv.gz`, ready for
`imdb-assets run --source DIR`, plus `synth.json` (imdb_assets/synth/manifest.py). The arguments and
the handler live in imdb_assets/synth/command.py; this module lists the command in the CLI.
"""

from __future__ import annotations

import argparse
import sys

from imdb_assets.cli.arguments import add_command, command_texts, snapshot_date
from imdb_assets.synth.command import DESCRIPTION, EXAMPLES, add_arguments, run_parser

# Re-exported: callers reading a snapshot folder's manifest find it beside the command that writes it.
from imdb_assets.synth.manifest import MANIFEST_FILE, read_manifest

__all__ = ["MANIFEST_FILE", "main", "read_manifest", "register"]


def register(commands: argparse._SubParsersAction) -> None:
    help = "write a synthetic IMDb snapshot in IMDb's file format (or the next day of one)"
    parser = add_command(commands, "synth", help=help, description=DESCRIPTION, examples=EXAMPLES)
    add_arguments(parser, snapshot_date=snapshot_date)


def main(argv: list[str] | None = None, prog: str = "imdb-assets synth") -> int:
    """The command on its own (for `python -m imdb_assets.cli.synth`), with the CLI's help layout."""
    parser = argparse.ArgumentParser(prog=prog, **command_texts(DESCRIPTION, EXAMPLES))
    add_arguments(parser, snapshot_date=snapshot_date)
    return run_parser(parser, argv)


if __name__ == "__main__":
    sys.exit(main())
