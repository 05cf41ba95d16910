"""The production data lake: a GCS bucket (and prefix), through dagster-gcp's `GCSResource`."""

from __future__ import annotations

import base64
from pathlib import Path

from dagster_gcp import GCSResource
from pydantic import Field

from imdb_assets.files import atomic_output
from imdb_assets.resources.gs_url import split_gs_url
from imdb_assets.resources.lake import DataLake, check_key


class GCSLake(DataLake):
    """Objects under `url` (gs://bucket/prefix). A GCS upload is atomic: an object is visible only once
    complete, so readers never see a partial file."""

    gcs: GCSResource
    url: str = Field(description="gs://bucket/prefix the lake's keys live under.")

    def _blob(self, key: str):
        check_key(key)
        bucket, prefix = split_gs_url(self.url)
        name = f"{prefix}/{key}" if prefix else key
        return self.gcs.get_client().bucket(bucket).blob(name)

    def object_md5(self, key: str) -> str | None:
        blob = self._blob(key)
        if not blob.exists():
            return None
        blob.reload()
        return base64.b64decode(blob.md5_hash).hex() if blob.md5_hash else None

    def _write_new(self, local_path: Path, key: str) -> None:
        from google.api_core.exceptions import PreconditionFailed

        try:
            # if_generation_match=0: create only, never overwrite (lake objects are immutable).
            # checksum="md5": the client compares its md5 with the one GCS computed and deletes a corrupted upload.
            self._blob(key).upload_from_filename(str(local_path), checksum="md5", if_generation_match=0)
        except PreconditionFailed:
            pass  # another writer created it first; put_file compares the bytes

    def get_file(self, key: str, local_path: Path) -> Path:
        with atomic_output(local_path) as temporary:
            self._blob(key).download_to_filename(str(temporary), checksum="md5")
        return Path(local_path)

    def uri(self, key: str) -> str:
        blob = self._blob(key)
        return f"gs://{blob.bucket.name}/{blob.name}"
