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
import stat
import sys
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import yaml
from dagster import ConfigurableResource
from pydantic import Field

from imdb_assets.dataset.dvc_logging import dvc_lines_muted, route_dvc_logs
from imdb_assets.dataset.registry import MD5_PATTERN, VersionRecord, VersionRegistry
from imdb_assets.dataset.version import DatasetVersion
from imdb_assets.fault_injection import crash_point
from imdb_assets.files import FOLDER_MODE, atomic_copy, atomic_write_bytes, make_folders
from imdb_assets.resources.lake import file_md5

STAGING_DIR = ".staging"  # candidate files waiting for their checks; ignored by DVC
VERSIONS_DIR = "versions"  # one DVC pointer file per published version


class DatasetPushError(RuntimeError):
    """The DVC remote could not take the data; nothing is reported as pushed."""


class NotPublishedError(RuntimeError):
    """A version was to be published that is not staged (its bytes are not in the cache)."""


def _quiet_dvc_env(repo_dir: Path) -> None:
    # DVC otherwise writes a site cache to /var/tmp/dvc and sends analytics.
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    os.environ["DVC_SITE_CACHE_DIR"] = str(repo_dir / ".dvc" / "site-cache")
    if (repo_dir / ".dvc").is_dir():  # before `dvc init` no folder may exist under .dvc
        _private_site_cache(repo_dir)


def _private_site_cache(repo_dir: Path) -> None:
    """Keep DVC's site cache folders 0755: DVC creates them 0777 (to share /var/tmp/dvc between users)
    unless they exist already, and leaves existing ones as they are."""
    site_cache = repo_dir / ".dvc" / "site-cache"
    make_folders(site_cache / "repo")
    for folder in (site_cache, site_cache / "repo"):
        if folder.stat().st_mode & stat.S_IWOTH:
            os.chmod(folder, FOLDER_MODE)


def _remove_empty_folders(folder: Path, stop: Path) -> None:
    """Remove `folder` and its parents below `stop` while they are empty (what a failed stage made)."""
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


class _Quoted(str):
    """A string `_pointer_text` writes in quotes: no YAML reader may take an all-digit md5 for a number,
    nor one of digits around an `e` for a float (as DVC's YAML 1.2 reader would, unlike PyYAML)."""


class _PointerDumper(yaml.SafeDumper):
    pass


_PointerDumper.add_representer(
    _Quoted, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style="'")
)


def _pointer_text(md5: str, file_name: str, size: int | None) -> str:
    # The same fields, in the same order, as `dvc add` writes.
    out: dict[str, object] = {"md5": _Quoted(md5)}
    if size is not None:
        out["size"] = size
    out.update({"hash": "md5", "path": file_name})
    return yaml.dump({"outs": [out]}, Dumper=_PointerDumper, sort_keys=False, allow_unicode=True)


def pointer_md5(dvc_file: Path) -> str | None:
    """The md5 a `.dvc` pointer file records, or None without a (readable) file."""
    if not dvc_file.exists():
        return None
    try:
        pointer = yaml.safe_load(dvc_file.read_text(encoding="utf-8"))
        md5 = pointer["outs"][0]["md5"]
    except (yaml.YAMLError, UnicodeDecodeError, LookupError, TypeError):
        return None
    # An unquoted all-digit md5 reads as a number, its leading zeros lost: no md5 we can trust.
    return md5 if isinstance(md5, str) else None


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
        route_dvc_logs()
        from dvc.repo import Repo

        repo_dir = Path(self.repo_dir).resolve()
        repo_dir.mkdir(parents=True, exist_ok=True)
        _quiet_dvc_env(repo_dir)
        with contextlib.redirect_stdout(sys.stderr):
            if (repo_dir / ".dvc").is_dir():
                repo = Repo(str(repo_dir))
            else:
                with dvc_lines_muted("dvc.repo.init"):  # "Initialized DVC repository." says nothing to a user here
                    repo = Repo.init(str(repo_dir), no_scm=True)
                _private_site_cache(repo_dir)  # init made it 0777: no folder of it could exist before
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

    # ---- publishing: stage (cache + remote), then one switch (the registry line) -----------------
    def stage(self, candidate: Path, relative_path: str) -> DatasetVersion:
        """Put `candidate`'s bytes in the DVC cache and on the remote under the version's own pointer
        (`versions/<stem>/<md5>.csv.dvc`, `dvc add` + `dvc push`), without touching the published
        working copy. Only returns once the remote holds the bytes; nothing is published yet
        (`commit` does that). A failure leaves no pointer to the version behind; DatasetPushError
        says why. Staging the same bytes again is a no-op for DVC and the remote."""
        from dvc.exceptions import DvcException

        md5 = file_md5(Path(candidate))
        pointer = self.version_pointer(relative_path, md5)
        had_pointer = pointer.exists()
        staged = pointer.with_name(pointer.name.removesuffix(".dvc"))
        current = self.published_md5(relative_path) or "(none)"
        atomic_copy(candidate, staged, expected_md5=md5)
        try:
            with self._repo() as repo:
                added = repo.add(str(staged))[0].outs[0].hash_info.value
                if added != md5:
                    raise DatasetPushError(f"dvc add of {relative_path} recorded md5 {added}, the file's is {md5}")
                crash_point("dataset.cached")
                try:
                    repo.push(targets=[str(pointer)], remote=self.remote_name)
                except (DvcException, OSError) as exc:
                    reason = " ".join(str(exc).split()) or type(exc).__name__
                    raise DatasetPushError(
                        f"dvc push of {relative_path} (md5 {md5}) to remote {self.remote_url} failed: {reason}; "
                        f"nothing was published, the current version stays {current}"
                    ) from exc
                if not self._on_remote(repo, str(pointer)):
                    raise DatasetPushError(
                        f"dvc push of {relative_path} (md5 {md5}) reported success but {self.remote_object(md5)} "
                        "is not on the remote; nothing was published"
                    )
                crash_point("dataset.pushed")
        except BaseException:
            if not had_pointer:
                pointer.unlink(missing_ok=True)
            raise
        finally:
            staged.unlink(missing_ok=True)  # the cache holds the bytes; the pointer names them
            if not pointer.exists():
                _remove_empty_folders(pointer.parent, stop=Path(self.repo_dir).resolve())
        size = Path(candidate).stat().st_size
        return DatasetVersion(md5=md5, path=relative_path, size=size, remote_url=self.remote_url)

    def commit(self, relative_path: str, record: VersionRecord) -> bool:
        """Publish a staged version: its registry line is the one atomic switch (a version is published
        exactly when the registry's latest line names it); the working copy then follows it. Returns
        whether a line was added (not when the same data is already the latest version)."""
        if not self.cache_path(record.md5).exists():
            raise NotPublishedError(f"dataset version {record.md5} is not staged in the DVC cache; nothing was published")
        appended = self.registry(relative_path).append(record)
        crash_point("dataset.registered")
        self.check_out(relative_path, record.md5, record.size)
        return appended

    def published_md5(self, relative_path: str) -> str | None:
        latest = self.registry(relative_path).latest()
        return latest.md5 if latest else None

    def check_out(self, relative_path: str, md5: str, size: int | None = None) -> None:
        """The working copy (`data/raw/...csv` and its `.dvc`) of version `md5`, from the cache (or the
        remote), each file replaced atomically."""
        tracked = self.tracked_path(relative_path)
        if not (tracked.exists() and file_md5(tracked) == md5):
            self.materialize_version(md5, tracked, relative_path)
        crash_point("dataset.checked_out_csv")
        dvc_file = tracked.with_name(tracked.name + ".dvc")
        if pointer_md5(dvc_file) != md5:
            atomic_write_bytes(dvc_file, _pointer_text(md5, tracked.name, size if size is not None else tracked.stat().st_size).encode())

    def repair_working_copy(self, relative_path: str) -> str | None:
        """Make the working copy show the published version again after an interrupted publish (a
        kill or a full disk between staging and the switch, or during the checkout after it). Returns
        one line saying what was repaired, or None when it already matched."""
        tracked = self.tracked_path(relative_path)
        dvc_file = tracked.with_name(tracked.name + ".dvc")
        published = self.registry(relative_path).latest()
        found_pointer = pointer_md5(dvc_file)
        found_csv = file_md5(tracked) if tracked.exists() else None
        if published is None:
            if found_pointer is None and found_csv is None:
                return None
            dvc_file.unlink(missing_ok=True)
            tracked.unlink(missing_ok=True)
            return f"removed {relative_path} (md5 {found_csv or found_pointer}): no version was ever published"
        if found_pointer == published.md5 and found_csv == published.md5:
            return None
        self.check_out(relative_path, published.md5, published.size)
        found = found_csv if found_csv != published.md5 else found_pointer
        return f"restored {relative_path} to the published version {published.md5} (found {found or 'nothing'}: a publish that did not finish)"

    def _on_remote(self, repo, target: str) -> bool:
        # `dvc status --cloud`: "new" = only in the cache, "missing" = nowhere; absent or "deleted" = on the remote.
        status = repo.status(targets=[target], cloud=True, remote=self.remote_name)
        return all(state not in ("new", "missing") for state in status.values())

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
            atomic_write_bytes(pointer, _pointer_text(md5, pointer.name.removesuffix(".dvc"), None).encode())
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
        return atomic_copy(self.cache_path(md5), out, expected_md5=md5)

    def fetch(self, md5: str, relative_path: str) -> None:
        """`dvc fetch` one version from the remote into the cache (nothing else is touched)."""
        known = self.version_pointer(relative_path, md5).exists()
        pointer = self._ensure_pointer(relative_path, md5)
        # DVC's "Some of the cache files do not exist ..." warning: the caller says it in one line of its own.
        with self._repo() as repo, dvc_lines_muted("dvc_data.index.fetch", below=logging.ERROR):
            repo.fetch(targets=[str(pointer)], remote=self.remote_name)
        if not known and not self.cache_path(md5).exists():
            pointer.unlink()  # no such version anywhere: leave no pointer to it behind

    def collect_unreferenced(self) -> None:
        """`dvc gc --workspace --cloud --force`: DVC removes from the cache and the default remote every
        object that no pointer in the workspace names (imdb_assets/dataset/gc.py removes the pointers
        of the versions it collects first). Nothing under `.dvc/` is deleted by this project's code."""
        with self._repo() as repo:
            repo.gc(workspace=True, cloud=True, remote=self.remote_name, force=True)

    # ---- history --------------------------------------------------------------------------------
    def record_version(self, relative_path: str, record: VersionRecord) -> bool:
        """Append a published version to the registry (not if it is already the latest one)."""
        return self.registry(relative_path).append(record)

    def versions(self, relative_path: str) -> list[VersionRecord]:
        return self.registry(relative_path).records()
