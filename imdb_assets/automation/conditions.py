"""Lineage-aware refresh: everything downstream of the dbt models re-materializes after they update.

Why declarative automation rather than the sensor's run requests: the sensor only knows the warehouse.
Whether the CSV, dataset, features and model should run depends on Dagster's own state -- did the dbt
partition actually materialize, did its blocking dbt tests pass, is another dbt partition still being
built -- and `AutomationCondition` evaluates exactly that from the asset graph. Several snapshot
partitions landing together are coalesced into one downstream refresh (it waits while any dbt partition
is in progress), and a new asset added below the dbt models is refreshed without touching the sensor.

The condition is `AutomationCondition.eager()` with one operand swapped and one added:
- eager's "no dependency missing" is true for an unpartitioned child of a daily-partitioned parent only
  if *every* date since the calendar's start is materialized, which never happens here; it is replaced
  by "every dependency has some data" (at least one partition, or being requested on this tick);
- "all upstream blocking checks passed": the dbt tests (severity error, so blocking) must pass on the
  dbt model's latest materialization, otherwise a failed test run would still count as an update.
  One level down, `movies_csv`'s blocking checks are declared on the asset and evaluated in its own
  step, so one run refreshes the CSV, dataset, features and model, and stops at the CSV if a check fails.
"""

from __future__ import annotations

from collections.abc import Sequence

from dagster import AssetsDefinition, AssetSelection, AssetSpec, AutomationCondition

from imdb_assets.transform.assets import imdb_dbt_models

every_dep_has_data = AutomationCondition.all_deps_match(
    ~AutomationCondition.missing() | AutomationCondition.will_be_requested()
).with_label("every_dep_has_data")

refresh_after_upstream = (
    AutomationCondition.eager().without(~AutomationCondition.any_deps_missing())
    & every_dep_has_data
    & AutomationCondition.all_deps_blocking_checks_passed()
).with_label("eager_after_blocking_checks")

# What a new warehouse partition can change: every asset below the dbt models.
DOWNSTREAM_OF_DBT = AssetSelection.assets(imdb_dbt_models).downstream(include_self=False)


def _with_refresh_condition(spec: AssetSpec, refreshed: set) -> AssetSpec:
    # An area that chose its own condition keeps it; partitioned assets would need a partition-aware one.
    if spec.key not in refreshed or spec.automation_condition is not None or spec.partitions_def is not None:
        return spec
    return spec.replace_attributes(automation_condition=refresh_after_upstream)


def with_refresh_conditions(assets: Sequence) -> list:
    """`assets` with `refresh_after_upstream` on every unpartitioned asset downstream of the dbt models."""
    refreshed = set(DOWNSTREAM_OF_DBT.resolve(assets))
    return [
        asset.map_asset_specs(lambda spec: _with_refresh_condition(spec, refreshed))
        if isinstance(asset, AssetsDefinition) and refreshed & set(asset.keys)
        else asset
        for asset in assets
    ]
