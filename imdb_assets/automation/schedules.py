"""An optional daily ingest of the newest IMDb snapshot, off by default.

IMDb republishes its files every day under the same names, so "the newest snapshot" is whatever the
configured source (`IMDB_ASSETS_SOURCE`, e.g. https://datasets.imdbws.com/) holds when the run starts;
it is loaded as the partition of the scheduled day. The schedule only loads raw tables: the
`new_warehouse_partitions` sensor then builds dbt and the rest refreshes, exactly as for any other loader.
"""

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, schedule

from imdb_assets.automation.jobs import raw_ingest_job
from imdb_assets.partitions import register_snapshot_dates

DAILY_INGEST_CRON = "0 6 * * *"  # 06:00 UTC, after IMDb's nightly refresh


@schedule(
    job=raw_ingest_job,
    cron_schedule=DAILY_INGEST_CRON,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Daily at 06:00 UTC: load the configured source's IMDb files as that day's raw partition "
    "(off by default; turn it on in the UI once IMDB_ASSETS_SOURCE points at the real dataset).",
)
def daily_imdb_ingest(context: ScheduleEvaluationContext) -> RunRequest:
    snapshot_date = context.scheduled_execution_time.date().isoformat()
    # Snapshot dates are dynamic partitions: the scheduled day becomes one before its run is requested.
    register_snapshot_dates(context.instance, [snapshot_date])
    return RunRequest(run_key=f"daily-ingest-{snapshot_date}", partition_key=snapshot_date)
