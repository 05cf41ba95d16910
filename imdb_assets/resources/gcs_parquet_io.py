"""DataFrame assets as Parquet objects in GCS: what `LocalParquetIOManager` does locally.

In production each run is its own pod, so intermediate data must outlive the pod: it lives in GCS.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from dagster import ConfigurableIOManager, InputContext, OutputContext
from dagster_gcp import GCSResource
from pydantic import Field

from imdb_assets.resources.gs_url import split_gs_url
from imdb_assets.resources.parquet_frames import read_frame, write_frame


class GCSParquetIOManager(ConfigurableIOManager):
    gcs: GCSResource
    url: str = Field(description="gs://bucket/prefix under which each asset is `<key path>.parquet`.")

    def _blob(self, asset_key_path: list[str]):
        bucket, prefix = split_gs_url(self.url)
        name = "/".join([p for p in (prefix, *asset_key_path) if p]) + ".parquet"
        return self.gcs.get_client().bucket(bucket).blob(name)

    def handle_output(self, context: OutputContext, obj: pd.DataFrame) -> None:
        blob = self._blob(context.asset_key.path)
        with tempfile.TemporaryDirectory(prefix="imdb-parquet-") as tmp:
            path = Path(tmp) / "asset.parquet"
            write_frame(obj, path)
            blob.upload_from_filename(str(path), checksum="md5")  # atomic: visible only once complete
        context.add_output_metadata({"uri": f"gs://{blob.bucket.name}/{blob.name}"})

    def load_input(self, context: InputContext) -> pd.DataFrame:
        blob = self._blob(context.asset_key.path)
        if not blob.exists():
            raise FileNotFoundError(
                f"gs://{blob.bucket.name}/{blob.name}: {context.asset_key.to_user_string()} has not been materialized"
            )
        with tempfile.TemporaryDirectory(prefix="imdb-parquet-") as tmp:
            path = Path(tmp) / "asset.parquet"
            blob.download_to_filename(str(path), checksum="md5")
            return read_frame(path)
