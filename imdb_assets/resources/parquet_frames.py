"""DataFrames to and from Parquet, shared by the local and GCS IO managers.

Text columns of pandas' string dtype are Arrow-backed in memory (`string[pyarrow]`): they load from
Parquet without building a Python object per value and their contract checks run vectorized. Parquet
records only "string", and pandas reads that back with its default (Python) storage, so the read asks
for Arrow storage; object columns stay object.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_frame(frame: pd.DataFrame, path: Path | str) -> None:
    # pandas keeps `frame.attrs` in the schema metadata (PANDAS_ATTRS) and `read_frame` restores them: the
    # features' rating threshold travels to the model that way (contracts/features.py).
    frame.to_parquet(path, index=False)


def read_frame(path: Path | str) -> pd.DataFrame:
    with pd.option_context("mode.string_storage", "pyarrow"):
        return pd.read_parquet(path)
