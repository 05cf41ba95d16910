"""Every answered prediction, recorded without slowing or failing the answer (pure Python, no Dagster).

A request hands its items and answers to `PredictionLog.record`, which only appends a reference to a
bounded in-memory queue (or drops the request and counts it when the queue is full: logging never
blocks a request or turns it into an error). A background thread turns what is queued into Parquet
batches every `flush_seconds` (or sooner once `batch_rows` are waiting) and writes each as its own
write-once file (`prediction_log_store.py`), one per UTC day it covers. `close()` writes what is left: a
clean stop loses nothing, a `kill -9` at most the batch not yet written, and never leaves a torn file.
"""

from __future__ import annotations

import io
import logging
import os
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

import orjson
import pyarrow as pa
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from imdb_assets.text_cleaning import split_genres
from imdb_assets.serving.prediction_log_store import PredictionLogStore

logger = logging.getLogger(__name__)

DEFAULT_MAX_QUEUED_ROWS = 100_000
DEFAULT_BATCH_ROWS = 5_000
DEFAULT_FLUSH_SECONDS = 1.0

# One row per answered item. `genres` are the known genres (as the model canonicalised them), `unknown_genres`
# those it ignored; `tconst` is the IMDb id the caller sent, if any (what later ratings are joined on).
PREDICTION_LOG_SCHEMA = pa.schema(
    [
        pa.field("logged_at", pa.timestamp("us", tz="UTC")),
        pa.field("request_id", pa.string()),
        pa.field("model_version", pa.string()),
        pa.field("title", pa.string()),
        pa.field("genres", pa.list_(pa.string())),
        pa.field("unknown_genres", pa.list_(pa.string())),
        pa.field("probability", pa.float64()),
        pa.field("label", pa.int8()),
        pa.field("threshold", pa.float64()),
        pa.field("tconst", pa.string()),
    ]
)


@dataclass(frozen=True)
class LoggedRequest:
    """One answered request as it waits in the queue: references only, converted by the writer thread."""

    logged_at: float  # time.time()
    request_id: str
    model_version: str
    threshold: float
    items: Sequence  # objects with title, genres (as asked) and tconst: the API's PredictItem, or LoggedItem
    answers: Sequence[dict]  # probability, label, unknown_genres


@dataclass(frozen=True)
class LoggedItem:
    title: str
    genres: Sequence[str] | str
    tconst: str | None = None


def new_request_id() -> str:
    return uuid.uuid4().hex


@lru_cache(maxsize=8192)
def _known_genres(genres: tuple[str, ...] | str, unknown: tuple[str, ...]) -> list[str]:
    """The asked genres as the model canonicalises them, minus those it does not know (cached: requests
    repeat a few hundred genre combinations, and canonicalising costs more than the rest of a row)."""
    return [genre for genre in split_genres(genres) if genre not in unknown]


def batch_table(requests: Sequence[LoggedRequest]) -> pa.Table:
    """The requests' rows in PREDICTION_LOG_SCHEMA.

    Built as JSON lines parsed by Arrow's JSON reader against the schema: building Arrow arrays from
    Python objects imports pandas (pyarrow's array-like probe), which `imdb-assets predict` must not pay,
    and is slower. The fields shared by a request's rows are encoded once."""
    lines = []
    for request in requests:
        shared = orjson.dumps(
            {
                "logged_at": datetime.fromtimestamp(request.logged_at, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "request_id": request.request_id,
                "model_version": request.model_version,
                "threshold": float(request.threshold),
            }
        )[:-1] + b","  # '{...,' : each row's own object is appended without its '{'
        for item, answer in zip(request.items, request.answers):
            unknown = answer.get("unknown_genres") or []
            genres = item.genres if isinstance(item.genres, str) else tuple(item.genres)
            row = {
                "title": item.title,
                "genres": _known_genres(genres, tuple(unknown)),
                "unknown_genres": unknown,
                "probability": float(answer["probability"]),
                "label": int(answer["label"]),
                "tconst": item.tconst,
            }
            lines.append(shared + orjson.dumps(row)[1:])
    if not lines:
        return PREDICTION_LOG_SCHEMA.empty_table()
    options = pa_json.ParseOptions(explicit_schema=PREDICTION_LOG_SCHEMA, unexpected_field_behavior="error")
    # One block for the whole batch (Arrow cannot cut a row across its 1 MiB default blocks), and no
    # thread pool: the server's requests need the other core more than the writer does.
    read_options = pa_json.ReadOptions(use_threads=False, block_size=max(1 << 20, sum(len(line) + 1 for line in lines)))
    return pa_json.read_json(io.BytesIO(b"\n".join(lines)), read_options=read_options, parse_options=options)


def parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


class PredictionLog:
    """The queue and its writer thread over a `PredictionLogStore`; `counters()` says what happened."""

    def __init__(
        self,
        store: PredictionLogStore,
        max_queued_rows: int = DEFAULT_MAX_QUEUED_ROWS,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        flush_seconds: float = DEFAULT_FLUSH_SECONDS,
    ):
        self.store = store
        self.max_queued_rows = max_queued_rows
        self.batch_rows = batch_rows
        self.flush_seconds = flush_seconds
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._queue: list[LoggedRequest] = []
        self._queued_rows = 0
        self._closing = False
        self._thread: threading.Thread | None = None
        self._sequence = 0
        self._counts = {"rows_queued": 0, "rows_written": 0, "rows_dropped": 0, "rows_lost_to_errors": 0, "files_written": 0, "write_errors": 0}
        self._last_error = ""

    # -- the request's side: constant time, never raises ---------------------------------------------
    def record(self, request: LoggedRequest) -> bool:
        """Queue one answered request; False (and counted) when the queue is full or the log is closed."""
        rows = len(request.answers)
        with self._lock:
            if self._closing or self._queued_rows + rows > self.max_queued_rows:
                self._counts["rows_dropped"] += rows
                return False
            self._queue.append(request)
            self._queued_rows += rows
            self._counts["rows_queued"] += rows
            full = self._queued_rows >= self.batch_rows
        if full:
            self._wake.set()
        return True

    def counters(self) -> dict:
        """What was queued, written, dropped (queue full) and lost to write errors; no paths (the server log has them)."""
        with self._lock:
            return {**self._counts, "rows_waiting": self._queued_rows, "last_error": self._last_error}

    # -- the writer's side -----------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="prediction-log-writer", daemon=True)
            self._thread.start()

    def close(self, timeout: float = 30.0) -> None:
        """Stop taking requests and write everything queued (synchronously when no thread runs)."""
        with self._lock:
            self._closing = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.flush()  # whatever the thread left (none when it ended normally)

    def flush(self) -> int:
        """Write what is queued now, one file per UTC day; the rows written."""
        with self._lock:
            requests, self._queue = self._queue, []
            self._queued_rows = 0
        if not requests:
            return 0
        by_day: dict[str, list[LoggedRequest]] = {}
        for request in requests:
            day = datetime.fromtimestamp(request.logged_at, tz=timezone.utc).strftime("%Y-%m-%d")
            by_day.setdefault(day, []).append(request)
        written = 0
        for day, day_requests in by_day.items():
            day_rows = sum(len(r.answers) for r in day_requests)
            try:
                self.store.write(self._batch_name(day), parquet_bytes(batch_table(day_requests)))
            except Exception as exc:  # a full disk or an unreachable bucket must not stop the server
                logger.warning("prediction log: %d rows not written to %s: %s", day_rows, self.store.location(), exc)
                with self._lock:
                    self._counts["write_errors"] += 1
                    self._counts["rows_lost_to_errors"] += day_rows
                    self._last_error = f"{type(exc).__name__}: {exc}"[:300]
                continue
            written += day_rows
            with self._lock:
                self._counts["rows_written"] += day_rows
                self._counts["files_written"] += 1
        return written

    def _batch_name(self, day: str) -> str:
        with self._lock:
            self._sequence += 1
            sequence = self._sequence
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        return f"day={day}/{stamp}-{os.getpid()}-{sequence:06d}.parquet"

    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            with self._lock:
                closing = self._closing
            self.flush()
            if closing:
                return


def log_synchronously(store: PredictionLogStore, request: LoggedRequest) -> str | None:
    """Write one request's rows as their own batch now (for `imdb-assets predict`, which exits right after);
    why it could not be written, or None."""
    log = PredictionLog(store)
    log.record(request)
    log.close()
    counters = log.counters()
    return f"{store.location()}: {counters['last_error']}" if counters["write_errors"] else None

