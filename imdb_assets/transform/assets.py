"""`filtered_movies_incremental`: the dbt incremental model, partitioned like the raw snapshots."""


import json
import os
from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey, BackfillPolicy, Output
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from imdb_assets.partitions import snapshot_partitions
from imdb_assets.resources.warehouse import Warehouse
from imdb_assets.transform.project import ensure_manifest, imdb_dbt_project


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
    project=imdb_dbt_project,
    dagster_dbt_translator=dbt_translator,
    partitions_def=snapshot_partitions,
    backfill_policy=BackfillPolicy.single_run(),
)
def imdb_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    """Run `dbt build` once for the partition window: one day, or a whole backfilled range in one run."""
    window = context.partition_time_window
    dbt_vars = {"min_date": window.start.date().isoformat(), "max_date": window.end.date().isoformat()}
    # The dbt profile reads the warehouse location from the environment; the resource is the one truth.
    os.environ.update(warehouse.dbt_env())
    context.log.info(f"dbt build for snapshots in [{dbt_vars['min_date']}, {dbt_vars['max_date']})")
    invocation = dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context, raise_on_error=False)
    # Buffer dbt's events so row counts can be read once dbt has released the warehouse.
    events = list(invocation.stream())
    for event in events:
        if isinstance(event, Output):
            table = event.output_name  # dagster-dbt names outputs after the model
            counts = warehouse.model_row_counts(table, window.start.date(), window.end.date())
            event = event.with_metadata({**event.metadata, **counts})
        yield event
    # Fail only after yielding what dbt did: a model built with failing tests is recorded with its failed
    # (blocking) checks, which is what holds back the downstream refresh (imdb_assets/automation).
    error = invocation.get_error()
    if error is not None:
        raise error
