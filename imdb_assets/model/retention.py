"""Which stored models garbage collection keeps (pure rules over the model store, no Dagster).

Kept: the champion, every earlier champion (from the audit log: each model ever promoted, so a rollback
is always one `imdb-assets model promote` away), `latest`, and the newest M other models (challengers
that were not promoted; default 10, `IMDB_ASSETS_CHALLENGERS_KEPT`). Every other version is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from imdb_assets.errors import NotReadyError
from imdb_assets.model.store import ModelArtifactError, ModelStore


@dataclass(frozen=True)
class ModelRetention:
    kept: dict[str, str]  # version -> why it is kept
    delete: list[str]  # oldest first
    dataset_versions: dict[str, str] = field(default_factory=dict)  # kept model -> the dataset md5 it trained on


def champions_ever(store: ModelStore) -> list[str]:
    """Every version that was champion, in promotion order (the audit log's `promoted` decisions)."""
    seen: list[str] = []
    for entry in store.audit_log():
        if entry.get("decision") == "promoted" and entry.get("version") not in seen:
            seen.append(entry["version"])
    return seen


def plan_model_retention(store: ModelStore, challengers_kept: int) -> ModelRetention:
    if challengers_kept < 0:
        raise ValueError(f"challengers kept must be 0 or more, not {challengers_kept}")
    versions = store.versions()
    kept: dict[str, str] = {}
    champion, latest = store.champion_version(), store.latest_trained_version()
    for version in champions_ever(store):
        if version in versions:
            kept[version] = "previous champion"
    if champion in versions:
        kept[champion] = "champion"
    if latest in versions and latest not in kept:
        kept[latest] = "latest"
    others = [v for v in reversed(versions) if v not in kept]
    for version in others[:challengers_kept]:
        kept[version] = "recent challenger"
    delete = [v for v in versions if v not in kept]
    dataset_versions = {}
    for version in kept:
        try:
            md5 = store.record(version).get("dataset_version")
        except (NotReadyError, ModelArtifactError):  # an unreadable record names no dataset
            continue
        if isinstance(md5, str):
            dataset_versions[version] = md5
    return ModelRetention(kept=dict(sorted(kept.items())), delete=delete, dataset_versions=dataset_versions)
