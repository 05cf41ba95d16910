"""The model store in a GCS bucket (pure google-cloud-storage, no Dagster: the serving image uses it).

`ModelStore` (imdb_assets/model/store.py) holds all the logic — versions, records written last,
checksums, one version per model content, champion pointer, audit log; this class gives it the five
storage primitives on objects under `gs://bucket/prefix`. A GCS upload is atomic (an object appears
only once complete) and is checked with md5 end to end, which is what `_write_bytes` must guarantee.
"""

from __future__ import annotations

from google.api_core.exceptions import NotFound
from google.cloud import storage

from imdb_assets.model.store import ModelStore
from imdb_assets.resources.gs_url import split_gs_url


class GCSModelStore(ModelStore):
    """Versioned models under `url` (gs://bucket/prefix); credentials from the environment (ADC)."""

    def __init__(self, url: str, client: storage.Client | None = None, project: str | None = None):
        self.url = url.rstrip("/")
        self._bucket_name, self._prefix = split_gs_url(url)
        self._client = client or storage.Client(project=project)

    def _name(self, key: str) -> str:
        return "/".join(part for part in (self._prefix, key.strip("/")) if part)

    def _blob(self, key: str) -> storage.Blob:
        return self._client.bucket(self._bucket_name).blob(self._name(key))

    def _read_bytes(self, key: str) -> bytes:
        try:
            return self._blob(key).download_as_bytes(checksum="md5")
        except NotFound:
            raise FileNotFoundError(self.location(key)) from None

    def _write_bytes(self, key: str, data: bytes) -> None:
        self._blob(key).upload_from_string(data, checksum="md5")

    def _list(self, prefix: str) -> list[str]:
        base = self._name(prefix)
        base = f"{base}/" if base else ""
        blobs = self._client.list_blobs(self._bucket_name, prefix=base, delimiter="/")
        files = [blob.name[len(base) :] for blob in blobs]  # consume the iterator before reading prefixes
        folders = [p[len(base) :].rstrip("/") for p in blobs.prefixes]
        return sorted(name for name in {*files, *folders} if name)

    def _delete(self, key: str) -> None:
        try:
            self._blob(key).delete()
        except NotFound:
            pass

    def _size(self, key: str) -> int:
        blob = self._client.bucket(self._bucket_name).get_blob(self._name(key))
        return int(blob.size or 0) if blob is not None else 0

    def _exists(self, key: str) -> bool:
        return self._blob(key).exists()

    def location(self, key: str = "") -> str:
        return "/".join(part for part in (self.url, key.strip("/")) if part)
