"""DataFrame assets as Parquet files under one base path: a local folder or `gs://bucket/prefix`.

One implementation for both environments through Dagster's `UPathIOManager` (fsspec underneath: gcsfs
for `gs://`). In production each run is its own pod, so intermediate data must outlive the pod: there
the base path is a bucket. Writes are whole-object: locally temp + fsync + rename (`files.py`), on GCS a
single upload, which becomes visible only once complete; a reader never sees half a file.
"""

from __future__ import annotations

import io

import pandas as pd
from dagster import ConfigurableIOManagerFactory, InitResourceContext, InputContext, OutputContext, UPathIOManager
from pydantic import Field
from upath import UPath

from imdb_assets.files import atomic_write_bytes, make_folders
from imdb_assets.resources.parquet_frames import read_frame, write_frame


def _is_local(path: UPath) -> bool:
    return path.protocol in ("", "file", "local")


class _ParquetFiles(UPathIOManager):
    extension = ".parquet"

    def dump_to_path(self, context: OutputContext, obj: pd.DataFrame, path: UPath) -> None:
        buffer = io.BytesIO()
        write_frame(obj, buffer)
        if _is_local(path):
            atomic_write_bytes(path.path, buffer.getvalue())
        else:
            path.write_bytes(buffer.getvalue())

    def load_from_path(self, context: InputContext, path: UPath) -> pd.DataFrame:
        if not path.exists():
            raise FileNotFoundError(f"{path}: {context.asset_key.to_user_string()} has not been materialized")
        if _is_local(path):
            return read_frame(path.path)  # pyarrow reads (and memory-maps) the file itself
        with path.open("rb") as stream:
            return read_frame(stream)

    def make_directory(self, path: UPath) -> None:
        if _is_local(path):  # object stores have no folders to make
            make_folders(path.path)


class ParquetIOManager(ConfigurableIOManagerFactory):
    """Each asset is `<base_path>/<asset key path>.parquet`."""

    base_path: str = Field(description="A folder, or gs://bucket/prefix in production.")
    gcp_project: str | None = Field(default=None, description="The GCP project for a gs:// base path.")

    def create_io_manager(self, context: InitResourceContext) -> _ParquetFiles:
        options = {"project": self.gcp_project} if self.base_path.startswith("gs://") and self.gcp_project else {}
        return _ParquetFiles(base_path=UPath(self.base_path, **options))
