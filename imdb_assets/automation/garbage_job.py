"""The garbage collection a deployment runs by itself: `garbage_collection_job`, daily by schedule.

The same work as `imdb-assets gc` (imdb_assets/automation/garbage.py). It must not race a run that is
publishing a dataset (DVC's gc could take the new object for garbage while its pointer is being
written) or saving a model, so the schedule skips its tick while any other run is in progress, the op
checks again when it starts, and it holds the home's lock (`imdb-assets run` and `ingest` hold it too).
"""

from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    DefaultScheduleStatus,
    OpExecutionContext,
    RunRequest,
    RunsFilter,
    ScheduleEvaluationContext,
    SkipReason,
    job,
    op,
    schedule,
)

from imdb_assets.automation.garbage import collect_garbage
from imdb_assets.dataset.layout import MOVIES_CSV_PATH
from imdb_assets.dataset.repository import DatasetRepository
from imdb_assets.home_lock import HomeBusyError, home_lock
from imdb_assets.model.store_resource import ModelStoreResource
from imdb_assets.settings import DBT_PROJECT_DIR, challengers_kept, dataset_versions_kept, local_paths

GARBAGE_CRON = "30 7 * * *"  # 07:30 UTC, after the 06:00 ingest and its refresh
_IN_PROGRESS = [DagsterRunStatus.QUEUED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def runs_in_progress(instance: DagsterInstance, except_run_id: str | None = None) -> list[str]:
    records = instance.get_run_records(RunsFilter(statuses=_IN_PROGRESS), limit=10)
    return [r.dagster_run.run_id for r in records if r.dagster_run.run_id != except_run_id]


@op(description="Collect old dataset versions (DVC cache and remote), models and dbt folders; log what was freed.")
def collect_garbage_op(context: OpExecutionContext, dataset_repository: DatasetRepository, model_store: ModelStoreResource) -> dict:
    others = runs_in_progress(context.instance, except_run_id=context.run_id)
    if others:
        context.log.warning(f"runs {', '.join(r[:8] for r in others)} are in progress: nothing collected this time")
        return {"skipped": True}
    try:
        with home_lock(local_paths().home, "gc"):
            report = collect_garbage(
                dataset_repository,
                MOVIES_CSV_PATH,
                model_store.store(),
                dataset_versions_kept=dataset_versions_kept(),
                challengers_kept=challengers_kept(),
                dbt_target_dir=DBT_PROJECT_DIR / "target",
            )
    except HomeBusyError as exc:
        context.log.warning(f"{exc}: nothing collected this time")
        return {"skipped": True}
    context.log.info(
        f"freed {report.bytes_freed / 1e6:,.1f} MB: {len(report.datasets_collected)} dataset version(s), "
        f"{len(report.models_deleted)} model(s), {len(report.dbt_folders_removed)} dbt folder(s); "
        f"kept {len(report.datasets_kept)} dataset version(s) and {len(report.models_kept)} model(s)"
    )
    return report.as_dict()


@job(description="What `imdb-assets gc` does: keep the newest dataset versions and every kept model's, the champions "
     "and the newest challengers; collect the rest (DVC's gc on the cache and the remote).")
def garbage_collection_job():
    collect_garbage_op()


@schedule(
    job=garbage_collection_job,
    cron_schedule=GARBAGE_CRON,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Daily at 07:30 UTC: garbage collection (skipped while another run is in progress).",
)
def daily_garbage_collection(context: ScheduleEvaluationContext):
    if runs_in_progress(context.instance):
        return SkipReason("a run is in progress; garbage collection waits for the next tick")
    return RunRequest(run_key=f"gc-{context.scheduled_execution_time:%Y-%m-%d}")
