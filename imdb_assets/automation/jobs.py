"""The two partitioned jobs automation launches: load raw snapshots, and build the dbt models on them.

They are kept apart on purpose: the sensor reacts to raw partitions an upstream loader already wrote,
so its runs must build dbt only and never re-ingest raw from the configured source.
"""

from dagster import AssetSelection, define_asset_job

from imdb_assets.ingest.assets import raw_imdb_tables
from imdb_assets.partitions import snapshot_partitions
from imdb_assets.transform.assets import imdb_dbt_models

# Runs that write the dbt models carry this tag, so an instance can queue them one at a time
# (`run_queue.tag_concurrency_limits`): two partitions merging into one table at once conflict.
DBT_WRITER_TAG = {"imdb_assets/writes": "dbt_models"}

# The dbt models (with their dbt tests as asset checks) for one snapshot date or a range of dates.
dbt_snapshot_job = define_asset_job(
    "dbt_snapshot_job",
    selection=AssetSelection.assets(imdb_dbt_models),
    partitions_def=snapshot_partitions,
    tags=DBT_WRITER_TAG,
    description="Build the dbt models for a snapshot date (or a range, in one dbt run) from raw tables "
    "that are already loaded. Requested by the `new_warehouse_partitions` sensor.",
)

# The raw IMDb tables for one snapshot date, loaded from the configured source (`imdb_source`).
raw_ingest_job = define_asset_job(
    "raw_ingest_job",
    selection=AssetSelection.assets(raw_imdb_tables),
    partitions_def=snapshot_partitions,
    description="Load IMDb's files from the configured source into the raw tables for one snapshot date "
    "(what the optional `daily_imdb_ingest` schedule runs).",
)
