"""What automation adds to the code location: jobs, sensors, schedules, and the refresh conditions.

imdb_assets/definitions.py passes these lists to `Definitions` and wraps its assets with
`with_refresh_conditions` (which attaches the downstream assets' automation condition).
"""

from imdb_assets.automation.conditions import with_refresh_conditions
from imdb_assets.automation.garbage_job import daily_garbage_collection, garbage_collection_job
from imdb_assets.automation.jobs import (
    dbt_snapshot_job,
    monitoring_job,
    raw_ingest_job,
    retrain_after_alert_job,
    retrain_on_dataset_job,
    served_predictions_job,
    snapshot_pipeline_job,
)
from imdb_assets.automation.monitoring_sensors import new_prediction_log_files, retrain_on_monitoring_alert_sensor
from imdb_assets.automation.schedules import daily_imdb_ingest
from imdb_assets.automation.sensors import new_warehouse_partitions, refresh_downstream

JOBS = [dbt_snapshot_job, raw_ingest_job, snapshot_pipeline_job, retrain_on_dataset_job, garbage_collection_job]
JOBS += [served_predictions_job, monitoring_job, retrain_after_alert_job]
SENSORS = [new_warehouse_partitions, refresh_downstream]
SENSORS += [new_prediction_log_files, retrain_on_monitoring_alert_sensor]
SCHEDULES = [daily_imdb_ingest, daily_garbage_collection]

__all__ = ["JOBS", "SCHEDULES", "SENSORS", "with_refresh_conditions"]
