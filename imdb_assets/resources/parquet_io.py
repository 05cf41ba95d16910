"""An IO manager that stores DataFrame assets as Parquet files (local folder)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from dagster import ConfigurableIOManager, InputContext, OutputContext

from imdb_assets.files import atomic_output
from imdb_assets.resources.parquet_frames import read_frame, write_frame


class LocalParquetIOManager(ConfigurableIOManager):
    base_dir: str

    def _path(self, asset_key_path: list[str]) -> Path:
        return Path(self.base_dir).joinpath(*asset_key_path).with_suffix(".parquet")

    def handle_output(self, context: OutputContext, obj: pd.DataFrame) -> None:
        path = self._path(context.asset_key.path)
        with atomic_output(path) as temporary:
            write_frame(obj, temporary)
        context.add_output_metadata({"path": str(path)})

    def load_input(self, context: InputContext) -> pd.DataFrame:
        path = self._path(context.asset_key.path)
        if not path.exists():
            raise FileNotFoundError(f"{path}: {context.asset_key.to_user_string()} has not been materialized")
        return read_frame(path)
