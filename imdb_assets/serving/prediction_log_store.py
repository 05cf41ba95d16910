"""Where the prediction log's batch files live: a local folder or GCS objects, behind one small interface.

Every batch is its own file named `day=YYYY-MM-DD/<UTC time>-<pid>-<seq>.parquet`, written once and never
changed, so a reader sees whole batches only: locally through imdb_assets/files.py (temp file, fsync,
rename: a `kill -9` leaves at most a `.<name>.tmp` that readers skip), on GCS by one upload (an object
appears only once complete, checked with md5). No Dagster: the server and `predict` write here, the
monitoring assets read.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from pathlib import Path

from imdb_assets.files import atomic_write_bytes

# The only names a reader accepts: finished batches (temporary files start with a dot and end in .tmp).
BATCH_NAME = re.compile(r"^day=\d{4}-\d{2}-\d{2}/[0-9TZ.]+-\d+-\d+\.parquet$")


class PredictionLogStore(ABC):
    """Write-once batch files of the prediction log."""

    @abstractmethod
    def write(self, name: str, data: bytes) -> None:
        """Store one finished batch under `name` (whole or not at all)."""

    @abstractmethod
    def _names(self) -> list[str]: ...

    @abstractmethod
    def read(self, name: str) -> bytes: ...

    @abstractmethod
    def location(self, name: str = "") -> str: ...

    def names(self) -> list[str]:
        """Every finished batch, oldest first (names sort by day, then by time)."""
        return sorted(name for name in self._names() if BATCH_NAME.match(name))


class LocalPredictionLogStore(PredictionLogStore):
    """Batches under a folder (`$IMDB_ASSETS_HOME/predictions` by default)."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    def write(self, name: str, data: bytes) -> None:
        atomic_write_bytes(self.folder / name, data)

    def _names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return [path.relative_to(self.folder).as_posix() for path in self.folder.glob("day=*/*.parquet")]

    def read(self, name: str) -> bytes:
        return (self.folder / name).read_bytes()

    def location(self, name: str = "") -> str:
        return str(self.folder / name) if name else str(self.folder)


class GCSPredictionLogStore(PredictionLogStore):
    """Batches as objects under `gs://bucket/prefix` (credentials from the environment, as the model store)."""

    def __init__(self, url: str, client=None, project: str | None = None):
        from google.cloud import storage  # Google clients only when needed

        from imdb_assets.resources.gs_url import split_gs_url

        self.url = url.rstrip("/")
        self._bucket_name, self._prefix = split_gs_url(url)
        self._client = client or storage.Client(project=project)

    def _object(self, name: str) -> str:
        return "/".join(part for part in (self._prefix, name) if part)

    def write(self, name: str, data: bytes) -> None:
        self._client.bucket(self._bucket_name).blob(self._object(name)).upload_from_string(data, checksum="md5")

    def _names(self) -> list[str]:
        base = f"{self._prefix}/" if self._prefix else ""
        return [blob.name[len(base) :] for blob in self._client.list_blobs(self._bucket_name, prefix=base)]

    def read(self, name: str) -> bytes:
        return self._client.bucket(self._bucket_name).blob(self._object(name)).download_as_bytes(checksum="md5")

    def location(self, name: str = "") -> str:
        return "/".join(part for part in (self.url, name) if part)


def prediction_log_store_at(location: Path | str) -> PredictionLogStore:
    """The store at a folder or a `gs://` URL."""
    text = str(location)
    return GCSPredictionLogStore(text) if text.startswith("gs://") else LocalPredictionLogStore(text)


def prediction_log_location(env: str | None = None) -> str:
    """Local: `$IMDB_ASSETS_HOME/predictions`. Prod: `predictions/` under the lake (IMDB_ASSETS_LAKE_URL)."""
    from imdb_assets.settings import current_env, local_paths

    if (env or current_env()) == "prod":
        from imdb_assets.prod_settings import load_prod_settings

        return f"{load_prod_settings().lake_url}/predictions"  # raises ProdSettingsError naming every missing variable
    return str(local_paths().prediction_log)


def prediction_log_store_for_env() -> PredictionLogStore:
    return prediction_log_store_at(prediction_log_location())
