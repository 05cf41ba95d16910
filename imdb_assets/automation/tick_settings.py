"""How often the automation sensors tick, and how much one tick may do (environment-tunable).

Read when the code location loads, so a test or `make dev` can shorten the intervals through the
environment of the process that starts Dagster.
"""

from __future__ import annotations

from imdb_assets.settings import whole_seconds

SENSOR_INTERVAL_ENV = "IMDB_ASSETS_SENSOR_INTERVAL_SECONDS"
AUTOMATION_INTERVAL_ENV = "IMDB_ASSETS_AUTOMATION_INTERVAL_SECONDS"
DEFAULT_INTERVAL_SECONDS = 30

# A tick lists the warehouse once and requests at most this many partitions; the rest wait a tick.
MAX_PARTITIONS_PER_TICK = 10
# A busy DuckDB file (a run is writing) makes the tick skip after this long instead of hanging.
WAREHOUSE_BUSY_TIMEOUT_SECONDS = 2.0


def sensor_interval_seconds() -> int:
    """Minimum seconds between two ticks of `new_warehouse_partitions`."""
    return whole_seconds(SENSOR_INTERVAL_ENV, DEFAULT_INTERVAL_SECONDS)


def automation_interval_seconds() -> int:
    """Minimum seconds between two evaluations of the downstream assets' automation conditions."""
    return whole_seconds(AUTOMATION_INTERVAL_ENV, DEFAULT_INTERVAL_SECONDS)
