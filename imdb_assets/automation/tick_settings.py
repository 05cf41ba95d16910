"""How often the automation sensors tick, and how much one tick may do (environment-tunable).

Read when the code location loads, so a test or `make dev` can shorten the intervals through the
environment of the process that starts Dagster.
"""

from __future__ import annotations

import os

SENSOR_INTERVAL_ENV = "IMDB_ASSETS_SENSOR_INTERVAL_SECONDS"
AUTOMATION_INTERVAL_ENV = "IMDB_ASSETS_AUTOMATION_INTERVAL_SECONDS"
DEFAULT_INTERVAL_SECONDS = 30

# A tick lists the warehouse once and requests at most this many partitions; the rest wait a tick.
MAX_PARTITIONS_PER_TICK = 10
# A busy DuckDB file (a run is writing) makes the tick skip after this long instead of hanging.
WAREHOUSE_BUSY_TIMEOUT_SECONDS = 2.0


def _positive_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a whole number of seconds") from None
    if value < 1:
        raise ValueError(f"{name}={value} must be at least 1 second")
    return value


def sensor_interval_seconds() -> int:
    """Minimum seconds between two ticks of `new_warehouse_partitions`."""
    return _positive_int(SENSOR_INTERVAL_ENV, DEFAULT_INTERVAL_SECONDS)


def automation_interval_seconds() -> int:
    """Minimum seconds between two evaluations of the downstream assets' automation conditions."""
    return _positive_int(AUTOMATION_INTERVAL_ENV, DEFAULT_INTERVAL_SECONDS)
