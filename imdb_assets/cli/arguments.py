"""Argument types and the help layout (description, examples) shared by the sub-commands."""

import argparse
import textwrap
from datetime import date, datetime, timezone

EXAMPLES_HEADING = "examples:"


def snapshot_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"snapshot date {text!r} is not YYYY-MM-DD") from None


def today() -> date:
    return datetime.now(timezone.utc).date()


class ExamplesHelpFormatter(argparse.HelpFormatter):
    """Wraps the description by paragraph and keeps the examples' lines as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith(EXAMPLES_HEADING):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        # No breaks at hyphens: "--allow-unknown-genres" must stay whole to be copied.
        paragraphs = (" ".join(p.split()) for p in text.strip().split("\n\n"))
        fill = textwrap.TextWrapper(width, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False).fill
        return "\n\n".join(map(fill, paragraphs))


def command_texts(description: str, examples: list[str]) -> dict:
    """Parser arguments showing `description` and `examples` (one command line each) in --help."""
    return {
        "description": description,
        "epilog": EXAMPLES_HEADING + "\n" + "\n".join(f"  {line}" for line in examples),
        "formatter_class": ExamplesHelpFormatter,
    }


def add_command(
    commands: argparse._SubParsersAction, name: str, *, help: str, description: str, examples: list[str]
) -> argparse.ArgumentParser:
    """A sub-command with a one-line `help` in its parent's list, and a description and examples in its own --help."""
    return commands.add_parser(name, help=help, **command_texts(description, examples))
