"""Versioned datasets with DVC: a DVC repository under the data folder, pushed to a remote.

The md5 DVC computes is the dataset's version. Every published version gets a DVC pointer file of its
own (`versions/<name>/<md5>.csv.dvc`) and a line in the version registry, so any version can be read
back from the DVC cache, or fetched from the remote when the cache no longer has it — with DVC's own
`fetch`, as `dvc fetch versions/<name>/<md5>.csv.dvc` would from the command line.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dagster import ConfigurableResource
from pydantic import Field

from imdb_assets.dataset.registry import MD5_PATTERN, VersionRecord, VersionRegistry
from imdb_assets.resources.lake import file_md5

STAGING_DIR = ".staging"  # candidate files waiting for their checks; ignored by DVC
VERSIONS_DIR = "versions"  # one DVC pointer file per published version


@contextlib.contextmanager
def _dvc_init_message_muted() -> Iterator[None]:
    """DVC logs one INFO line (and a blank one) when it creates a repository; keep its warnings."""
    init_logger = logging.getLogger("dvc.repo.init")
    level = init_logger.level
    init_logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        init_logger.setLevel(level)


@dataclass(frozen=True)
class DatasetVersion:
    """One version of a dataset file tracked by DVC (what downstream assets receive)."""

    md5: str
    path: str  # relative to the DVC repository
    size: int
    remote_url: str
    rows: int | None = None
    snapshot_date: str = ""  # the newest snapshot the version covers


class DatasetPushError(RuntimeError):
    """The DVC remote could not take the data; nothing is reported as pushed."""


def _quiet_dvc_env(repo_dir: Path) -> None:
    # DVC otherwise writes a site cache to /var/tmp/dvc and sends analytics.
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    os.environ["DVC_SITE_CACHE_DIR"] = str(repo_dir / ".dvc" / "site-cache")


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp_name, path)
    finally:
        Path(tmp_name).unlink(missing_ok=True)


def _atomic_copy(source: Path, target: Path, expected_md5: str | None = None) -> Path:
    """Copy through a temporary name beside `target`; with `expected_md5`, refuse bytes that differ."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(fd)
    try:
        shutil.copyfile(source, tmp_name)
        if expected_md5 is not None:
            actual = file_md5(Path(tmp_name))
            if actual != expected_md5:
                raise ValueError(f"{source}: md5 is {actual}, expected {expected_md5}; refusing a corrupted copy")
        os.replace(tmp_name, target)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    return target


def _pointer_text(md5: str, file_name: str, size: int | None) -> str:
    # The same fields `dvc add` writes; the md5 is quoted so an all-digit hash stays a string in YAML.
    size_line = f"  size: {size}\n" if size is not None else ""
    return f"outs:\n- md5: '{md5}'\n{size_line}  hash: md5\n  path: {file_name}\n"


def pointer_md5(dvc_file: Path) -> str | None:
    """The md5 a `.dvc` pointer file records, or None without a (readable) file."""
    if not dvc_file.exists():
        return None
    for line in dvc_file.read_text(encoding="utf-8").splitlines():
        key, _, value = line.strip().lstrip("- ").partition(":")
        if key == "md5":
            return value.strip().strip("'\"")
    return None


class DatasetRepository(ConfigurableResource):
    """A DVC repository (no git) at `repo_dir` whose default remote is `remote_url`."""

    repo_dir: str = Field(description="Folder of the DVC repository (the tracked files, .dvc files and the cache).")
    remote_url: str = Field(description="DVC remote: a folder, or gs://bucket/prefix in production.")
    remote_name: str = "storage"
    remote_options: dict[str, str] = Field(
        default_factory=dict,
        description="Extra DVC settings of the remote, e.g. {'endpointurl': ...} for a GCS emulator (`dvc remote modify`).",
    )

    # ---- layout -------------------------------------------------------------------------------
    def tracked_path(self, relative_path: str) -> Path:
        """The working copy of the latest published version."""
        return Path(self.repo_dir).resolve() / relative_path

    def candidate_path(self, relative_path: str) -> Path:
        """Where a new candidate waits for its checks before it is published."""
        return Path(self.repo_dir).resolve() / STAGING_DIR / relative_path

    def registry(self, relative_path: str) -> VersionRegistry:
        return VersionRegistry(self.tracked_path(relative_path).with_name(PurePosixPath(relative_path).name + ".versions.jsonl"))

    def version_pointer(self, relative_path: str, md5: str) -> Path:
        path = PurePosixPath(relative_path)
        return Path(self.repo_dir).resolve() / VERSIONS_DIR / path.stem / f"{md5}{path.suffix}.dvc"

    def remote_object(self, md5: str) -> str:
        """Where DVC 3 keeps the object on the remote (`files/md5/<2>/<30>`)."""
        return f"{self.remote_url.rstrip('/')}/files/md5/{md5[:2]}/{md5[2:]}"

    def cache_path(self, md5: str) -> Path:
        """Where DVC 3 keeps the object in the local cache (`.dvc/cache/files/md5/<2>/<30>`)."""
        return Path(self.repo_dir).resolve() / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]

    # ---- DVC --------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _repo(self) -> Iterator:
        """The DVC repository, created on first use, with this resource's remote as the default.

        DVC prints progress to stdout: keep it on stderr so command output (e.g. JSON) stays clean."""
        from dvc.repo import Repo

        repo_dir = Path(self.repo_dir).resolve()
        repo_dir.mkdir(parents=True, exist_ok=True)
        _quiet_dvc_env(repo_dir)
        with contextlib.redirect_stdout(sys.stderr):
            if (repo_dir / ".dvc").is_dir():
                repo = Repo(str(repo_dir))
            else:
                with _dvc_init_message_muted():  # "Initialized DVC repository." says nothing to a user here
                    repo = Repo.init(str(repo_dir), no_scm=True)
            try:
                wanted = {"url": self.remote_url, **self.remote_options}
                current = repo.config.read("repo")  # this repository's own file, without DVC's defaults
                if current["remote"].get(self.remote_name) != wanted or current["core"].get("remote") != self.remote_name:
                    # The resource is the one truth about the remote: the repository follows it.
                    with repo.config.edit() as conf:
                        conf["remote"][self.remote_name] = wanted
                        conf["core"]["remote"] = self.remote_name
                        conf["core"]["autostage"] = False
                ignore = repo_dir / ".dvcignore"
                if f"/{STAGING_DIR}/" not in (ignore.read_text() if ignore.exists() else ""):
                    with ignore.open("a", encoding="utf-8") as handle:
                        handle.write(f"# candidates waiting for their checks (imdb_assets)\n/{STAGING_DIR}/\n")
                yield repo
            finally:
                repo.close()

    def publish(self, candidate: Path, relative_path: str) -> DatasetVersion:
        """Make `candidate` the current version of `relative_path`: `dvc add`, `dvc push`, and a pointer
        file for the version. Only returns once the remote holds the bytes.

        If anything fails (a missing or unwritable remote, most often), the working copy and its `.dvc`
        file are put back as they were, so they never point at a version the remote does not have;
        DatasetPushError says why. Publishing the same bytes again is a no-op for DVC and the remote."""
        from dvc.exceptions import DvcException

        tracked = self.tracked_path(relative_path)
        dvc_file = tracked.with_name(tracked.name + ".dvc")
        previous_pointer = dvc_file.read_bytes() if dvc_file.exists() else None
        previous_md5 = pointer_md5(dvc_file)
        _atomic_copy(Path(candidate), tracked)
        try:
            with self._repo() as repo:
                md5 = repo.add(str(tracked))[0].outs[0].hash_info.value
                try:
                    repo.push(targets=[str(tracked)], remote=self.remote_name)
                except (DvcException, OSError) as exc:
                    reason = " ".join(str(exc).split()) or type(exc).__name__
                    raise DatasetPushError(
                        f"dvc push of {relative_path} (md5 {md5}) to remote {self.remote_url} failed: {reason}; "
                        f"nothing was published, the current version stays {previous_md5 or '(none)'}"
                    ) from exc
                if not self._on_remote(repo, str(tracked)):
                    raise DatasetPushError(
                        f"dvc push of {relative_path} (md5 {md5}) reported success but {self.remote_object(md5)} "
                        "is not on the remote; nothing was published"
                    )
        except BaseException:
            self._restore(tracked, dvc_file, previous_pointer, previous_md5)
            raise
        size = tracked.stat().st_size
        _atomic_write_bytes(self.version_pointer(relative_path, md5), _pointer_text(md5, f"{md5}{tracked.suffix}", size).encode())
        return DatasetVersion(md5=md5, path=relative_path, size=size, remote_url=self.remote_url)

    def _on_remote(self, repo, target: str) -> bool:
        # `dvc status --cloud`: "new" = only in the cache, "missing" = nowhere; absent or "deleted" = on the remote.
        status = repo.status(targets=[target], cloud=True, remote=self.remote_name)
        return all(state not in ("new", "missing") for state in status.values())

    def _restore(self, tracked: Path, dvc_file: Path, previous_pointer: bytes | None, previous_md5: str | None) -> None:
        if previous_pointer is None:
            dvc_file.unlink(missing_ok=True)
            tracked.unlink(missing_ok=True)
            return
        _atomic_write_bytes(dvc_file, previous_pointer)
        if previous_md5 and self.cache_path(previous_md5).exists():
            _atomic_copy(self.cache_path(previous_md5), tracked, expected_md5=previous_md5)

    def is_on_remote(self, md5: str, relative_path: str) -> bool:
        """Whether the remote holds version `md5` (asks the remote, not the local cache)."""
        pointer = self._ensure_pointer(relative_path, md5)
        with self._repo() as repo:
            return self._on_remote(repo, str(pointer))

    def _ensure_pointer(self, relative_path: str, md5: str) -> Path:
        if not MD5_PATTERN.match(md5):
            raise ValueError(f"{md5!r} is not an md5")
        pointer = self.version_pointer(relative_path, md5)
        if not pointer.exists():  # a version published elsewhere, or a registry without its pointers
            _atomic_write_bytes(pointer, _pointer_text(md5, pointer.name.removesuffix(".dvc"), None).encode())
        return pointer

    # ---- reading versions back ------------------------------------------------------------------
    def materialize_version(self, md5: str, out: Path, relative_path: str) -> Path:
        """Write the exact bytes of version `md5` of `relative_path` to `out`: from the DVC cache, else
        fetched from the remote (`dvc fetch` of the version's pointer file); verified by md5, atomic."""
        if not MD5_PATTERN.match(md5):
            raise ValueError(f"{md5!r} is not an md5")
        if not self.cache_path(md5).exists():
            self.fetch(md5, relative_path)
        if not self.cache_path(md5).exists():
            raise FileNotFoundError(f"dataset version {md5} is neither in the DVC cache nor on the remote {self.remote_url}")
        return _atomic_copy(self.cache_path(md5), Path(out), expected_md5=md5)

    def fetch(self, md5: str, relative_path: str) -> None:
        """`dvc fetch` one version from the remote into the cache (nothing else is touched)."""
        known = self.version_pointer(relative_path, md5).exists()
        pointer = self._ensure_pointer(relative_path, md5)
        with self._repo() as repo:
            repo.fetch(targets=[str(pointer)], remote=self.remote_name)
        if not known and not self.cache_path(md5).exists():
            pointer.unlink()  # no such version anywhere: leave no pointer to it behind

    # ---- history --------------------------------------------------------------------------------
    def record_version(self, relative_path: str, record: VersionRecord) -> bool:
        """Append a published version to the registry (not if it is already the latest one)."""
        return self.registry(relative_path).append(record)

    def versions(self, relative_path: str) -> list[VersionRecord]:
        return self.registry(relative_path).records()
