"""The two partitioned jobs automation launches: load raw snapshots, and build the dbt models on them.

They are kept apart on purpose: the sensor reacts to raw partitions an upstream loader already wrote,
so its runs must build dbt only and never re-ingest raw from the configured source.
"""

import warnings

from dagster import AssetSelection, define_asset_job

from imdb_assets.ingest.assets import raw_imdb_tables
from imdb_assets.ingest.retention_asset import raw_snapshot_retention
from imdb_assets.partitions import snapshot_partitions
from imdb_assets.transform.assets import imdb_dbt_models

# Runs that write the dbt models carry this tag, so an instance can queue them one at a time
# (`run_queue.tag_concurrency_limits`): two partitions merging into one table at once conflict.
DBT_WRITER_TAG = {"imdb_assets/writes": "dbt_models"}

# The dbt models (with their dbt tests as asset checks) for one snapshot date or a range of dates, then
# the raw snapshot retention (older dates the models have now absorbed are dropped).
dbt_snapshot_job = define_asset_job(
    "dbt_snapshot_job",
    selection=AssetSelection.assets(imdb_dbt_models, raw_snapshot_retention),
    partitions_def=snapshot_partitions,
    tags=DBT_WRITER_TAG,
    description="Build the dbt models for a snapshot date (or a range, in one dbt run) from raw tables "
    "that are already loaded, then drop the raw dates they absorbed beyond the newest K (retention). "
    "Requested by the `new_warehouse_partitions` sensor.",
)

# The raw IMDb tables for one snapshot date, loaded from the configured source (`imdb_source`).
raw_ingest_job = define_asset_job(
    "raw_ingest_job",
    selection=AssetSelection.assets(raw_imdb_tables),
    partitions_def=snapshot_partitions,
    description="Load IMDb's files from the configured source into the raw tables for one snapshot date "
    "(what the optional `daily_imdb_ingest` schedule runs).",
)

# The raw tables backfill one date per run, dbt a range in one run; this job always runs one date, so
# Dagster's warning that the two policies differ says nothing about it.
warnings.filterwarnings(
    "ignore", message=r"Asset job snapshot_pipeline_job materializes assets with varying BackfillPolicies", category=UserWarning
)

# What `imdb-assets run` launches: the whole graph for one snapshot date in one run, with every check.
# (Runs launched from the CLI carry this name in the UI's run list, not `__ephemeral_asset_job__`.)
# (The monitoring assets are not part of it: they follow the prediction log and have their own jobs.)
snapshot_pipeline_job = define_asset_job(
    "snapshot_pipeline_job",
    selection=AssetSelection.all() - AssetSelection.groups("monitoring"),
    partitions_def=snapshot_partitions,
    tags=DBT_WRITER_TAG,
    description="Load one snapshot date from the configured source and materialize everything from the raw "
    "tables to the promoted model, checks included, in one run (what `imdb-assets run` launches).",
)

# What `imdb-assets run --dataset-version MD5` launches: re-select a published dataset and retrain on it.
retrain_on_dataset_job = define_asset_job(
    "retrain_on_dataset_job",
    selection=AssetSelection.assets("movies_dataset", "movie_features", "enjoyment_model"),
    description="Select a published dataset version again (config `movies_dataset.version`) and rebuild the "
    "features and the model on exactly it; nothing is ingested or published.",
)

# What the `new_prediction_log_files` sensor requests; `refresh_downstream` then refreshes drift and live
# performance (their automation condition sees served_predictions updated).
served_predictions_job = define_asset_job(
    "served_predictions_job",
    selection=AssetSelection.assets("served_predictions"),
    description="Read the prediction log again (new batch files arrived).",
)

# What `imdb-assets monitor` runs: the log, its drift and its live performance, with their checks.
monitoring_job = define_asset_job(
    "monitoring_job",
    selection=AssetSelection.groups("monitoring"),
    description="Materialize the monitoring assets: served_predictions, prediction_drift, live_model_performance.",
)

# What a monitoring alert requests when the `retrain_on_monitoring_alert` sensor is on.
retrain_after_alert_job = define_asset_job(
    "retrain_after_alert_job",
    selection=AssetSelection.assets("enjoyment_model"),
    description="Retrain enjoyment_model on the current features (challenger/champion rules as always), "
    "requested by a drift or live-performance alert.",
)
