"""The history of published dataset versions: one JSON line per version, beside the file's `.dvc` pointer.

DVC knows a file's *current* md5; this registry remembers every md5 that was ever published with what a
person needs to trust it: rows, the snapshot dates it covers, the source files' checksums, where the
bytes were pushed and copied. A line is appended only after the version is on the remote, so the
registry never lists a version that cannot be fetched back.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from imdb_assets.files import atomic_write_text

MD5_PATTERN = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class VersionRecord:
    """One published version of a dataset file."""

    md5: str
    path: str  # the tracked file, relative to the DVC repository
    size: int
    rows: int
    snapshot_dates: list[str]  # every snapshot date the rows came from (the dbt model's last_modified)
    published_at: str  # ISO timestamp, UTC
    remote_url: str  # the DVC remote
    remote_object: str  # the version's object on that remote
    lake: dict[str, str] = field(default_factory=dict)  # format -> URI of the lake copy
    # snapshot date -> IMDb file -> {"sha256": ..., "source": ...}, from the raw assets' materializations
    source_files: dict[str, dict[str, dict[str, str | None]]] = field(default_factory=dict)
    profile: dict = field(default_factory=dict)  # what the drift checks compare the next version with

    @property
    def snapshot_date(self) -> str:
        """The newest snapshot date the version covers."""
        return max(self.snapshot_dates) if self.snapshot_dates else ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> VersionRecord:
        data = json.loads(line)
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


class UnknownVersionError(ValueError):
    """No published version matches the md5 (or prefix) a person asked for."""


class VersionRegistry:
    """The JSON-lines file of one tracked dataset file, oldest version first."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def records(self) -> list[VersionRecord]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [VersionRecord.from_json(line) for line in lines if line.strip()]

    def latest(self) -> VersionRecord | None:
        records = self.records()
        return records[-1] if records else None

    def append(self, record: VersionRecord) -> bool:
        """Add `record` unless it is already the latest version (a rerun of the same data); atomic."""
        records = self.records()
        if records and records[-1].md5 == record.md5:
            return False
        atomic_write_text(self.path, "".join(r.to_json() + "\n" for r in [*records, record]))
        return True

    def find(self, md5_or_prefix: str) -> VersionRecord:
        """The newest record whose md5 starts with `md5_or_prefix` (at least 6 hex digits, unambiguous)."""
        wanted = md5_or_prefix.strip().lower()
        if not re.fullmatch(r"[0-9a-f]{6,32}", wanted):
            raise UnknownVersionError(f"{md5_or_prefix!r} is not an md5 (or a prefix of at least 6 hex digits)")
        matches = {r.md5: r for r in self.records() if r.md5.startswith(wanted)}
        if not matches:
            raise UnknownVersionError(
                f"no published version {md5_or_prefix} in {self.path} (see `imdb-assets dataset list`)"
            )
        if len(matches) > 1:
            raise UnknownVersionError(f"{md5_or_prefix} matches several versions: {', '.join(sorted(matches))}")
        return next(iter(matches.values()))
