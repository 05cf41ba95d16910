"""`synth.json`: how a synthetic snapshot folder was made (seed, sizes, change rate, parent snapshot) and
the snapshot date it stands for.

The data files carry no date (IMDb's do not either): the warehouse partition is chosen at load time by
`--snapshot-date` of `run`/`ingest`, and the manifest keeps the date so a script can pass the same one.
For a next-day snapshot the date defaults to the day after the parent's.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from imdb_assets.files import atomic_write_text

if TYPE_CHECKING:
    from imdb_assets.synth.generator import SnapshotSummary

MANIFEST_FILE = "synth.json"
DEFAULT_TITLES = 8000
DEFAULT_CHANGE_RATE = 0.01


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


def write_synthetic_snapshot(
    out: Path,
    *,
    titles: int | None = None,
    seed: int | None = None,
    snapshot_date: date | None = None,
    from_snapshot: Path | None = None,
    change_rate: float | None = None,
) -> tuple[SnapshotSummary, dict]:
    """Write a fresh snapshot (or, with `from_snapshot`, its next day) into `out`, then its manifest.

    Returns the generator's summary and the manifest written. A contradictory set of options raises
    ValueError before anything is written."""
    # Imported here: numpy and pyarrow load only when a snapshot is written, not for `--help`.
    from imdb_assets.synth.generator import BASICS_FILE, RATINGS_FILE, write_next_day, write_snapshot

    out = Path(out)
    if from_snapshot is None:
        if change_rate is not None:
            raise ValueError("--change-rate needs --from-snapshot (the snapshot the changes are made to)")
        seed = 0 if seed is None else seed
        titles = DEFAULT_TITLES if titles is None else titles
        day = snapshot_date
        summary = write_snapshot(out, titles=titles, seed=seed)
        lineage: dict = {"kind": "fresh", "titles_requested": titles}
    else:
        if titles is not None:
            raise ValueError(
                "--titles is for a fresh snapshot; a next-day snapshot grows from --from-snapshot by --change-rate"
            )
        source = Path(from_snapshot)
        if not (source / BASICS_FILE).is_file() or not (source / RATINGS_FILE).is_file():
            raise ValueError(f"{source}: --from-snapshot needs a folder holding {BASICS_FILE} and {RATINGS_FILE}")
        parent = read_manifest(source)  # before writing: the target may be the same folder
        seed = 1 if seed is None else seed
        rate = DEFAULT_CHANGE_RATE if change_rate is None else change_rate
        day = snapshot_date or _next_day_date(parent)
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
    return summary, manifest
