"""Versioned datasets with DVC: a DVC repository under the data folder, pushed to a remote.

The md5 DVC computes is the dataset's version; any version can be read back from the DVC cache, or
pulled from the remote when the cache no longer has it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dagster import ConfigurableResource

from imdb_assets.resources.lake import file_md5


@dataclass(frozen=True)
class DatasetVersion:
    """One version of a dataset file tracked by DVC."""

    md5: str
    path: str  # relative to the DVC repository
    size: int
    remote_url: str


class DatasetPushError(RuntimeError):
    """The DVC remote could not take the data; nothing is reported as pushed."""


def _quiet_dvc_env(repo_dir: Path) -> None:
    # DVC otherwise writes a site cache to /var/tmp/dvc and sends analytics.
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    os.environ["DVC_SITE_CACHE_DIR"] = str(repo_dir / ".dvc" / "site-cache")


class DatasetRepository(ConfigurableResource):
    """A DVC repository (no git) at `repo_dir` whose default remote is `remote_url`."""

    repo_dir: str
    remote_url: str
    remote_name: str = "storage"

    def _open(self):
        from dvc.repo import Repo

        repo_dir = Path(self.repo_dir)
        repo_dir.mkdir(parents=True, exist_ok=True)
        _quiet_dvc_env(repo_dir)
        repo = Repo(str(repo_dir)) if (repo_dir / ".dvc").is_dir() else Repo.init(str(repo_dir), no_scm=True)
        with repo.config.edit() as conf:
            conf["remote"][self.remote_name] = {"url": self.remote_url}
            conf["core"]["remote"] = self.remote_name
            conf["core"]["autostage"] = False
        return repo

    def add_and_push(self, relative_path: str) -> DatasetVersion:
        """`dvc add` the file then `dvc push` it; raise DatasetPushError if the remote refuses."""
        from dvc.exceptions import DvcException

        repo = self._open()
        target = str(Path(self.repo_dir).resolve() / relative_path)  # DVC resolves relative paths from the cwd
        try:
            stages = repo.add(target)
            md5 = stages[0].outs[0].hash_info.value
            try:
                repo.push(targets=[target], remote=self.remote_name)
            except DvcException as exc:
                raise DatasetPushError(
                    f"dvc push of {relative_path} (md5 {md5}) to {self.remote_url} failed: {exc}"
                ) from exc
        finally:
            repo.close()
        size = (Path(self.repo_dir) / relative_path).stat().st_size
        return DatasetVersion(md5=md5, path=relative_path, size=size, remote_url=self.remote_url)

    def cache_path(self, md5: str) -> Path:
        return Path(self.repo_dir) / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]

    def materialize_version(self, md5: str, out: Path) -> Path:
        """Write the exact bytes of version `md5` to `out` (from the cache, else pulled from the remote),
        verified by md5 and written atomically."""
        source = self.cache_path(md5)
        if not source.exists():
            self._fetch_from_remote(md5)
        if not source.exists():
            raise FileNotFoundError(f"dataset version {md5} is neither in the DVC cache nor on {self.remote_url}")
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
        os.close(fd)
        try:
            shutil.copyfile(source, tmp_name)
            actual = file_md5(Path(tmp_name))
            if actual != md5:
                raise ValueError(f"dataset version {md5}: cached copy has md5 {actual}; refusing a corrupted file")
            os.replace(tmp_name, out)
        finally:
            Path(tmp_name).unlink(missing_ok=True)
        return out

    def _fetch_from_remote(self, md5: str) -> None:
        from dvc_data.hashfile.hash_info import HashInfo

        repo = self._open()
        try:
            odb = repo.cloud.get_remote_odb(self.remote_name)
            cache = repo.cache.local
            from dvc_data.hashfile.transfer import transfer

            transfer(odb, cache, {HashInfo("md5", md5)}, jobs=1)
        finally:
            repo.close()
