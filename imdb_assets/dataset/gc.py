"""Dataset garbage collection: which published versions stay in the DVC cache and remote, and the rest
collected through DVC's own `gc`.

Kept: the newest N published versions (default 30, `IMDB_ASSETS_DATASET_VERSIONS_KEPT`), the published
one, and every version a kept model was trained on. A version is collected by removing its pointer
(`versions/<stem>/<md5>.csv.dvc`, a file this project writes) and then running `dvc gc --workspace
--cloud`: DVC itself removes from the cache and the remote every object no pointer in the workspace
names. Nothing under `.dvc/` is touched by hand. The registry keeps every line (it is the history); a
collected version is recorded in `<file>.collected.jsonl` beside it (imdb_assets/dataset/collected.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from imdb_assets.dataset.collected import CollectedVersion, collected_path
from imdb_assets.dataset.registry import VersionRecord
from imdb_assets.dataset.dvc_logging import dvc_lines_muted
from imdb_assets.dataset.repository import DatasetRepository
from imdb_assets.files import atomic_write_text


@dataclass(frozen=True)
class DatasetRetention:
    kept: dict[str, str]  # md5 -> why it is kept
    collect: list[VersionRecord]  # oldest first; not yet collected
    already_collected: list[str] = field(default_factory=list)


def plan_dataset_retention(
    records: list[VersionRecord], versions_kept: int, model_versions: Iterable[str], collected: Iterable[str] = ()
) -> DatasetRetention:
    """The newest `versions_kept` distinct versions (by their latest publish), the published one, and
    the models' versions are kept; the rest are to be collected (unless they were already)."""
    if versions_kept < 1:
        raise ValueError(f"dataset versions kept must be at least 1, not {versions_kept}")
    newest_first: list[str] = []
    by_md5: dict[str, VersionRecord] = {}
    for record in reversed(records):
        if record.md5 not in by_md5:
            newest_first.append(record.md5)
            by_md5[record.md5] = record
    kept: dict[str, str] = {}
    for md5 in model_versions:
        if md5 in by_md5:
            kept[md5] = "a kept model was trained on it"
    for md5 in newest_first[:versions_kept]:
        kept.setdefault(md5, f"one of the newest {versions_kept}")
    if newest_first:
        kept[newest_first[0]] = "published"
    collected = set(collected)
    collect = [by_md5[m] for m in reversed(newest_first) if m not in kept and m not in collected]
    return DatasetRetention(kept=kept, collect=collect, already_collected=sorted(collected & set(by_md5)))


def collect_versions(repository: DatasetRepository, relative_path: str, plan: DatasetRetention) -> list[CollectedVersion]:
    """Remove the pointers of `plan.collect` and run DVC's gc over the workspace, cache and remote.
    Returns what was collected (also appended to the collected log). Idempotent: a rerun finds nothing."""
    collected: list[CollectedVersion] = []
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for record in plan.collect:
        pointer = repository.version_pointer(relative_path, record.md5)
        in_cache = repository.cache_path(record.md5).exists()
        on_remote = repository.is_on_remote(record.md5, relative_path)
        pointer.unlink(missing_ok=True)
        collected.append(CollectedVersion(record.md5, record.size, record.snapshot_date, in_cache, on_remote, now))
    if not plan.collect:
        return []
    with dvc_lines_muted("dvc.repo.gc"):  # we print what was freed ourselves
        repository.collect_unreferenced()
    registry_path = repository.registry(relative_path).path
    log = collected_path(registry_path)
    previous = log.read_text(encoding="utf-8") if log.exists() else ""
    atomic_write_text(log, previous + "".join(json.dumps(asdict(c), sort_keys=True) + "\n" for c in collected))
    return collected
