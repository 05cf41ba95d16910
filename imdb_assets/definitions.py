"""The one place where the code location's definitions are assembled."""

from dagster import (
    Definitions,
    colored_console_logger,
    in_process_executor,
    load_asset_checks_from_modules,
    load_assets_from_modules,
)

from imdb_assets.automation.definitions import JOBS, SCHEDULES, SENSORS, with_refresh_conditions
from imdb_assets.dataset import assets as dataset_assets
from imdb_assets.environments import resources_for_env
from imdb_assets.features import assets as feature_assets
from imdb_assets.ingest import assets as ingest_assets
from imdb_assets.ingest import retention_asset
from imdb_assets.model import assets as model_assets
from imdb_assets.monitoring import assets as monitoring_assets
from imdb_assets.settings import current_env
from imdb_assets.step_progress import plain_console_logger, silent_logger
from imdb_assets.transform import assets as transform_assets

AREA_MODULES = [ingest_assets, retention_asset, transform_assets, dataset_assets, feature_assets, model_assets, monitoring_assets]
ALL_ASSETS = with_refresh_conditions(load_assets_from_modules(AREA_MODULES))
ALL_ASSET_CHECKS = load_asset_checks_from_modules(AREA_MODULES)


def build_definitions(env: str | None = None, source: str | None = None, quiet_dbt: bool = False) -> Definitions:
    env = env or current_env()
    return Definitions(
        assets=ALL_ASSETS,
        asset_checks=ALL_ASSET_CHECKS,
        jobs=JOBS,
        sensors=SENSORS,
        schedules=SCHEDULES,
        resources=resources_for_env(env, source, quiet_dbt=quiet_dbt),
        # Dagster's console logger by default; `imdb-assets run --verbose` into a pipe selects plain_console.
        loggers={"console": colored_console_logger, "plain_console": plain_console_logger, "silent": silent_logger},
        # The local DuckDB file allows one writer: run steps one after another in one process.
        executor=in_process_executor if env == "local" else None,
    )


defs = build_definitions()
