"""dbt's saved parse (`partial_parse.msgpack`), kept from one dbt invocation to the next.

dagster-dbt gives every invocation a fresh target folder and seeds it only with the project's
`target/partial_parse.msgpack`, written by `dbt parse` when the manifest was prepared. dbt throws that
one away whenever the profile differs, and the profile holds the warehouse's location, which differs per
home (and per test). So each invocation re-parsed the whole project: 2.3-3.9 s, against 0.8-1.0 s
for loading a saved parse (measured at full size on 2 cores; benchmarks/scale).

Here each warehouse has its own saved parse, under `target/partial_parse/<key>.msgpack`: seeded into
the invocation's folder before dbt starts, and replaced by what dbt wrote once it is done. dbt checks a
saved parse itself (its version, vars, profile, project config, every file's checksum) and falls back to
a full parse when anything changed, so a stale or foreign file costs time, never correctness.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path

from imdb_assets.files import atomic_copy

PARTIAL_PARSE_FILE = "partial_parse.msgpack"


class PartialParseStore:
    """The saved parse for one dbt target and one warehouse (the environment its profile reads)."""

    def __init__(self, target_dir: Path, dbt_target: str, profile_env: Mapping[str, str], keep_at_most: int = 32):
        identity = json.dumps({"target": dbt_target, "env": dict(sorted(profile_env.items()))}, sort_keys=True)
        self.path = target_dir / "partial_parse" / f"{hashlib.sha256(identity.encode()).hexdigest()[:16]}.msgpack"
        # Every test home is a warehouse of its own: keep the most recently used few (~0.6 MB each).
        self.keep_at_most = keep_at_most

    def seed(self, invocation_dir: Path) -> bool:
        """Put the saved parse where dbt looks for it; False when there is none yet (dbt parses fully).

        dagster-dbt copies the project's own saved parse only into a folder that has none, so this one wins."""
        if not self.path.exists():
            return False
        invocation_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path, invocation_dir / PARTIAL_PARSE_FILE)
        return True

    def keep(self, invocation_dir: Path) -> bool:
        """Save what dbt left in the invocation's folder (it rewrites the file only when it re-parsed).

        Written to a temporary file and renamed, so a concurrent run never reads half a file."""
        written = invocation_dir / PARTIAL_PARSE_FILE
        if not written.exists():
            return False
        atomic_copy(written, self.path)
        saved = sorted(self.path.parent.glob("*.msgpack"), key=_modified_or_zero, reverse=True)
        for stale in saved[self.keep_at_most :]:
            stale.unlink(missing_ok=True)
        return True


def _modified_or_zero(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # removed meanwhile by another run's clean-up
        return 0.0


def invocation_dir(target_dir: Path, op_name: str, run_id: str) -> Path:
    """A fresh folder for one invocation's artifacts, named as dagster-dbt names its own
    (`<op>-<run id[:7]>-<random>`), so tools that find a run's artifacts by run id keep working."""
    return target_dir / f"{op_name}-{run_id[:7]}-{uuid.uuid4().hex[:7]}"
