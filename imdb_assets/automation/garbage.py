"""Garbage collection of a deployment: dataset versions (DVC cache and remote), models, dbt's folders.

What is kept is decided by imdb_assets/dataset/gc.py (newest N dataset versions + every version a kept
model trained on) and imdb_assets/model/retention.py (champion, earlier champions, newest M
challengers); this module runs both, models first so the datasets of kept models are known, and prunes
the per-invocation folders dbt leaves in `dbt_project/target/`. Used by `imdb-assets gc` and by the
`garbage_collection_job` the `daily_garbage_collection` schedule launches. The raw warehouse snapshots
have their own retention, in the pipeline (imdb_assets/ingest/retention.py). The lake is never collected:
it is the archive.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from imdb_assets.dataset.collected import CollectedVersion, read_collected
from imdb_assets.dataset.gc import collect_versions, plan_dataset_retention
from imdb_assets.dataset.repository import DatasetRepository
from imdb_assets.model.retention import plan_model_retention
from imdb_assets.errors import NotReadyError
from imdb_assets.model.store import ModelArtifactError, ModelStore

# `<op>-<run id[:7]>-<random[:7]>`, as imdb_assets/transform/partial_parse.py names each dbt invocation's folder.
_DBT_INVOCATION = re.compile(r"^[A-Za-z0-9_]+-[0-9a-f]{7}-[0-9a-f]{7}$")
DBT_INVOCATIONS_KEPT = 5
# A folder younger than this may belong to a dbt still running (in another process, on another home).
DBT_INVOCATION_MIN_AGE_SECONDS = 3600


@dataclass
class GarbageReport:
    dry_run: bool
    datasets_kept: dict[str, str] = field(default_factory=dict)
    datasets_collected: list[dict] = field(default_factory=list)
    models_kept: dict[str, str] = field(default_factory=dict)
    models_deleted: list[dict] = field(default_factory=list)
    dbt_folders_removed: list[str] = field(default_factory=list)
    dataset_bytes_freed: int = 0  # the DVC cache and the remote together
    model_bytes_freed: int = 0
    dbt_bytes_freed: int = 0

    @property
    def bytes_freed(self) -> int:
        return self.dataset_bytes_freed + self.model_bytes_freed + self.dbt_bytes_freed

    def as_dict(self) -> dict:
        return {**asdict(self), "bytes_freed": self.bytes_freed}


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def prune_dbt_invocations(
    target_dir: Path, keep: int = DBT_INVOCATIONS_KEPT, min_age_seconds: float = DBT_INVOCATION_MIN_AGE_SECONDS, dry_run: bool = False
) -> tuple[list[str], int]:
    """Remove all but the newest `keep` per-invocation folders of dbt (those older than `min_age_seconds`
    only): each holds one invocation's manifest, run results and logs, read by nothing once the run has
    reported. The saved parse (`partial_parse/`) and other files stay."""
    if not target_dir.is_dir():
        return [], 0
    folders = sorted(
        (p for p in target_dir.iterdir() if p.is_dir() and _DBT_INVOCATION.match(p.name)),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    now = time.time()
    removed, freed = [], 0
    for folder in folders[keep:]:
        if now - folder.stat().st_mtime < min_age_seconds:
            continue
        freed += _folder_bytes(folder)
        if not dry_run:
            shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder.name)
    return removed, freed


def collect_garbage(
    repository: DatasetRepository,
    relative_path: str,
    store: ModelStore,
    dataset_versions_kept: int,
    challengers_kept: int,
    dbt_target_dir: Path | None = None,
    dry_run: bool = False,
) -> GarbageReport:
    """Everything garbage collection does, or with `dry_run` what it would do. Idempotent."""
    report = GarbageReport(dry_run=dry_run)
    models = plan_model_retention(store, challengers_kept)
    report.models_kept = models.kept
    for version in models.delete:
        try:
            dataset = store.record(version).get("dataset_version")
        except (NotReadyError, ModelArtifactError):  # an unreadable record: the version goes all the same
            dataset = None
        freed = store.version_size(version) if dry_run else store.delete_version(version)
        report.models_deleted.append({"version": version, "bytes": freed, "dataset_version": dataset})
        report.model_bytes_freed += freed

    registry = repository.registry(relative_path)
    plan = plan_dataset_retention(
        registry.records(), dataset_versions_kept, models.dataset_versions.values(), read_collected(registry.path)
    )
    report.datasets_kept = plan.kept
    if dry_run:
        collected = [CollectedVersion(r.md5, r.size, r.snapshot_date, repository.cache_path(r.md5).exists(), True) for r in plan.collect]
    else:
        collected = collect_versions(repository, relative_path, plan)
    for version in collected:
        report.datasets_collected.append(asdict(version))
        report.dataset_bytes_freed += version.size * (int(version.in_cache) + int(version.on_remote))

    if dbt_target_dir is not None:
        report.dbt_folders_removed, report.dbt_bytes_freed = prune_dbt_invocations(dbt_target_dir, dry_run=dry_run)
    return report
