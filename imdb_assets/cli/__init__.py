"""`imdb-assets`: one sub-command module per job; each module exposes `register(commands)`."""

from __future__ import annotations

import argparse
import sys

from imdb_assets.cli import dataset, gc, model, monitor, predict, run, serve, synth
from imdb_assets.errors import one_line

COMMAND_MODULES = (run, predict, serve, monitor, model, dataset, synth, gc)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imdb-assets", description="IMDb datasets to a served enjoyment classifier.")
    commands = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ValueError, RuntimeError, OSError) as exc:
        # Errors from the pipeline are written to be read: one line, what and where, never a whole input.
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(one_line(f"imdb-assets {args.command}: error: {message}"), file=sys.stderr)
        return 1
