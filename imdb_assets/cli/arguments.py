"""Argument types shared by the sub-commands."""

import argparse
from datetime import date, datetime, timezone


def snapshot_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"snapshot date {text!r} is not YYYY-MM-DD") from None


def today() -> date:
    return datetime.now(timezone.utc).date()
