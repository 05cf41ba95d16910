"""`filtered_movies_incremental`: the dbt incremental model, partitioned like the raw snapshots."""


from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, BackfillPolicy, Output
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets

from imdb_assets.fault_injection import crash_point
from imdb_assets.partitions import snapshot_date_of, snapshot_partitions, window_of
from imdb_assets.resources.warehouse import Warehouse
from imdb_assets.transform.dbt_errors import dbt_failure
from imdb_assets.transform.partial_parse import PartialParseStore, invocation_dir
from imdb_assets.transform.project import SubprocessOnlyDbtResource, ensure_manifest, imdb_dbt_project
from imdb_assets.transform.window import SnapshotWindow, window_in_environment


class ImdbDbtTranslator(DagsterDbtTranslator):
    """dbt sources map onto the raw tables' asset keys (`raw_title_basics`); models keep their names."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey(f"raw_{dbt_resource_props['name']}")
        return AssetKey(dbt_resource_props["name"])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "ingest" if dbt_resource_props["resource_type"] == "source" else "transform"


dbt_translator = ImdbDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=ensure_manifest(),
    # No `project=`: dagster-dbt would put the DbtProject object in the specs' metadata, which the UI shows
    # as "[DbtProject] (unserializable)". It serves code references and path selectors, unused here; dbt
    # runs in the resource's project_dir either way.
    dagster_dbt_translator=dbt_translator,
    partitions_def=snapshot_partitions,
    backfill_policy=BackfillPolicy.single_run(),
)
def imdb_dbt_models(context: AssetExecutionContext, dbt: SubprocessOnlyDbtResource, warehouse: Warehouse):
    """Run `dbt build` once for the partition window: one day, or a whole backfilled range in one run."""
    window = SnapshotWindow(*window_of(context.partition_keys))
    warehouse.require_kept(snapshot_date_of(key) for key in context.partition_keys)  # one line if dropped
    # The dbt profile reads the warehouse location from the environment; the resource is the one truth.
    # Set only around dbt's start (window_in_environment), so no later code in this process sees it.
    profile_env = warehouse.dbt_env()
    # Its own target folder, as dagster-dbt would give it, but seeded with the parse dbt saved for this
    # warehouse last time, so dbt skips re-parsing the project (transform/partial_parse.py).
    target_dir = Path(imdb_dbt_project.project_dir) / imdb_dbt_project.target_path
    saved_parse = PartialParseStore(target_dir, dbt.target or "", profile_env)
    invocation_target = invocation_dir(target_dir, context.op_execution_context.op.name, context.run.run_id)
    saved_parse.seed(invocation_target)
    context.log.info(f"dbt build for snapshots in {window}")
    with window_in_environment(window, profile_env):
        invocation = dbt.cli(["build"], context=context, raise_on_error=False, target_path=invocation_target)
        crash_point("dbt.started")  # dbt is running in its own process now
    # Buffer dbt's events so row counts can be read once dbt has released the warehouse.
    events = dbt.finished_events(invocation)
    try:
        saved_parse.keep(invocation_target)
    except OSError as exc:  # only the next run's start-up depends on it
        context.log.warning(f"dbt's parse was not kept for the next run: {exc}")
    for event in events:
        if isinstance(event, Output):
            table = event.output_name  # dagster-dbt names outputs after the model
            counts = warehouse.model_row_counts(table, window.min_date, window.max_date)
            event = event.with_metadata({**event.metadata, **counts})
        yield event
    # Fail only after yielding what dbt did: a model built with failing tests is recorded with its failed
    # (blocking) checks, which is what holds back the downstream refresh (imdb_assets/automation).
    error = dbt_failure(invocation)  # dbt's own reason, not dagster-dbt's "the process failed"
    if error is not None:
        raise error
