"""The log of dataset versions `imdb-assets gc` collected from the DVC cache and remote.

One JSON line per collected version, in `<file>.collected.jsonl` beside the version registry; read by
`dataset list` (which imports no Dagster, DVC or DuckDB, so this module does not either).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CollectedVersion:
    md5: str
    size: int  # bytes of the CSV, freed in the cache and again on the remote
    snapshot_date: str
    in_cache: bool
    on_remote: bool
    collected_at: str = ""


def collected_path(registry_path: Path) -> Path:
    """`raw/filtered_movies_incremental.csv.collected.jsonl` beside `...csv.versions.jsonl`."""
    return registry_path.with_name(registry_path.name.removesuffix(".versions.jsonl") + ".collected.jsonl")


def read_collected(registry_path: Path) -> dict[str, CollectedVersion]:
    path = collected_path(registry_path)
    if not path.exists():
        return {}
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = CollectedVersion(**json.loads(line))
            found[entry.md5] = entry
    return found
