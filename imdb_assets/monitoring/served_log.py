"""The prediction log read back as one table (pure: pyarrow and pandas, no Dagster).

Only finished batch files are read (`PredictionLogStore.names`); a file that cannot be parsed is named
and skipped, never a reason to stop reading the others.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from imdb_assets.serving.prediction_log import PREDICTION_LOG_SCHEMA
from imdb_assets.serving.prediction_log_store import PredictionLogStore


@dataclass
class ServedLog:
    frame: pd.DataFrame  # PREDICTION_LOG_SCHEMA's columns, oldest first
    files: list[str]
    unreadable: dict[str, str]  # file -> why

    @property
    def content_version(self) -> str:
        """Follows the log's content: batch files are write-once with unique names, so their list decides it."""
        return hashlib.sha256("\n".join(self.files).encode()).hexdigest()[:16]


def empty_log_frame() -> pd.DataFrame:
    return PREDICTION_LOG_SCHEMA.empty_table().to_pandas()


def read_served_log(store: PredictionLogStore) -> ServedLog:
    tables, files, unreadable = [], [], {}
    for name in store.names():
        try:
            table = pq.read_table(io.BytesIO(store.read(name)))
            tables.append(table.select(PREDICTION_LOG_SCHEMA.names).cast(PREDICTION_LOG_SCHEMA))
            files.append(name)
        except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
            unreadable[name] = f"{type(exc).__name__}: {exc}"[:200]
    if not tables:
        return ServedLog(empty_log_frame(), files, unreadable)
    frame = pa.concat_tables(tables).to_pandas()
    frame["genres"] = frame["genres"].map(list)
    frame["unknown_genres"] = frame["unknown_genres"].map(list)
    return ServedLog(frame.sort_values("logged_at", kind="stable").reset_index(drop=True), files, unreadable)


def log_summary(frame: pd.DataFrame) -> dict:
    """Rows, rows with a tconst, per UTC day and per model version."""
    days = frame["logged_at"].dt.strftime("%Y-%m-%d") if len(frame) else pd.Series(dtype=str)
    return {
        "rows": int(len(frame)),
        "rows_with_tconst": int(frame["tconst"].notna().sum()),
        "by_day": {str(k): int(v) for k, v in days.value_counts().sort_index().items()},
        "by_model_version": {str(k): int(v) for k, v in frame["model_version"].value_counts().sort_index().items()},
    }
