"""The validated CSV (a candidate until its checks pass) and the published, DVC-versioned dataset."""


from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pyarrow.compute as pc
from dagster import (
    AssetCheckKey,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    Config,
    DagsterInstance,
    DataVersion,
    MaterializeResult,
    MetadataValue,
    Output,
    asset,
)
from pydantic import Field

from imdb_assets.code_versions import MOVIES_CSV_SOURCES, MOVIES_DATASET_SOURCES, source_code_version
from imdb_assets.contracts.features import DEFAULT_RATING_THRESHOLD
from imdb_assets.contracts.movies import FilteredMovies, read_movies_csv
from imdb_assets.dataset.checks import BLOCKING_CHECK_NAMES, MOVIES_CSV_CHECK_SPECS, MoviesCsvCheckConfig, evaluate_movies_csv
from imdb_assets.dataset.layout import MOVIES_CSV_ASSET, MOVIES_CSV_PATH, lake_key
from imdb_assets.dataset.lineage import lineage_metadata, source_files_of
from imdb_assets.dataset.profile import profile_movies
from imdb_assets.dataset.registry import VersionRecord
from imdb_assets.dataset.repository import DatasetRepository
from imdb_assets.dataset.validate import validate_movies, write_movies_csv
from imdb_assets.dataset.version import DatasetVersion
from imdb_assets.errors import DataError, NotReadyError
from imdb_assets.fault_injection import crash_point
from imdb_assets.resources.lake import DataLake, file_md5
from imdb_assets.resources.warehouse import FILTERED_MOVIES_TABLE, Warehouse
from imdb_assets.scratch import scratch_dir


def snapshot_dates(movies: pd.DataFrame) -> list[str]:
    return sorted(str(d) for d in movies[FilteredMovies.last_modified].dropna().unique())


@asset(
    name=MOVIES_CSV_ASSET,
    deps=[AssetKey(FILTERED_MOVIES_TABLE)],
    group_name="dataset",
    kinds={"csv", "pandas"},
    check_specs=MOVIES_CSV_CHECK_SPECS,
    code_version=source_code_version(*MOVIES_CSV_SOURCES),
)
def movies_csv(
    config: MoviesCsvCheckConfig, warehouse: Warehouse, dataset_repository: DatasetRepository
) -> MaterializeResult:
    """The filtered table validated by its pandera contract (`FilteredMovies`, checked in DuckDB) and
    written as a *candidate* CSV (`data/.staging/raw/filtered_movies_incremental.csv`, atomically), then checked in
    the same step (row count, null and duplicate rates, empty titles, label share and genre mix against
    the previous version). A failed blocking check fails this step, so `movies_dataset` never publishes
    it. Data version: the CSV's md5."""
    movies = validate_movies(warehouse.read_filtered_movies_arrow())
    candidate = dataset_repository.candidate_path(MOVIES_CSV_PATH)
    write_movies_csv(movies, candidate)
    md5 = file_md5(candidate)
    dates = sorted(pc.unique(movies[FilteredMovies.last_modified]).drop_null().to_pylist())
    return MaterializeResult(
        data_version=DataVersion(md5),
        check_results=list(evaluate_movies_csv(config, dataset_repository)),
        metadata={
            "dagster/row_count": movies.num_rows,
            "path": MetadataValue.path(str(candidate)),
            "md5": md5,
            "size_bytes": candidate.stat().st_size,
            "snapshot_date": dates[-1],
            "snapshot_dates": MetadataValue.json(dates),
        },
    )


class MoviesDatasetConfig(Config):
    version: str = Field(
        default="",
        description="Empty: publish the checked candidate CSV as a new version. An md5 (or unique prefix) "
        "from `imdb-assets dataset list`: select that published version again, so features and the model "
        "are rebuilt on exactly it (nothing is ingested or published).",
    )


def require_passed_checks(instance: DagsterInstance, candidate_md5: str) -> None:
    """Publish only the candidate the blocking checks passed: the latest `movies_csv` materialization
    must be this file (same md5), and each blocking check's latest evaluation must come from the run of
    that materialization (the checks are evaluated in the asset's own step) and not be an error. Within
    one run Dagster already stops at a failed blocking check; this also holds when `movies_dataset` is
    materialized on its own later."""
    records = instance.fetch_materializations(AssetKey(MOVIES_CSV_ASSET), limit=1).records
    if not records:
        raise NotReadyError("movies_csv has never been materialized: nothing has been checked")
    latest = records[0]
    materialized_md5 = latest.asset_materialization.metadata["md5"].value
    if materialized_md5 != candidate_md5:
        raise DataError(
            f"the candidate CSV (md5 {candidate_md5}) is not the one movies_csv wrote (md5 {materialized_md5}): "
            "it changed since it was checked; materialize movies_csv again"
        )
    for name in BLOCKING_CHECK_NAMES:
        record = instance.get_latest_asset_check_evaluation_record(AssetCheckKey(AssetKey(MOVIES_CSV_ASSET), name))
        evaluation = record.event.asset_check_evaluation if record is not None and record.event is not None else None
        if evaluation is None or record.run_id != latest.run_id:
            raise DataError(
                f"check {name} has not run on the current movies_csv: materialize movies_csv (its checks run "
                "with it) before publishing"
            )
        if not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR:
            raise DataError(
                f"check {name} failed on the current movies_csv ({evaluation.description or 'see its metadata'}): "
                "the candidate is not published"
            )


@asset(
    deps=[movies_csv],
    group_name="dataset",
    kinds={"dvc"},
    code_version=source_code_version(*MOVIES_DATASET_SOURCES),
)
def movies_dataset(
    context: AssetExecutionContext,
    config: MoviesDatasetConfig,
    dataset_repository: DatasetRepository,
    lake: DataLake,
) -> Output[DatasetVersion]:
    """The checked CSV published as a dataset version, complete before one atomic switch: its bytes in
    the DVC cache and on the remote (`dvc add` + `dvc push` of the version's pointer; DVC's md5 is the
    data version), an immutable copy in the data lake (CSV and Parquet under
    `raw/filtered_movies_incremental/snapshot_date=…/dataset_md5=…/`), then the switch: a line in the
    version registry (rows, snapshot dates, the source files' checksums). The working copy
    (`data/raw/filtered_movies_incremental.csv` and its `.dvc`) follows the registry, and a publish cut
    short (kill, full disk) is repaired to the published version at the next start. A push that fails
    publishes nothing. With `version` set, re-selects a published version."""
    repaired = dataset_repository.repair_working_copy(MOVIES_CSV_PATH)
    if repaired:
        context.log.warning(repaired)
    if config.version:
        record = dataset_repository.registry(MOVIES_CSV_PATH).find(config.version)
        if not dataset_repository.is_on_remote(record.md5, MOVIES_CSV_PATH):
            raise NotReadyError(f"dataset version {record.md5} is in the registry but not on the remote {record.remote_url}")
        context.log.info(f"re-using dataset version {record.md5} (snapshot {record.snapshot_date}, {record.rows} rows)")
        return _output(record, reused=True)

    candidate = dataset_repository.candidate_path(MOVIES_CSV_PATH)
    if not candidate.exists():
        raise NotReadyError(f"{candidate}: no candidate CSV (materialize movies_csv first)")
    require_passed_checks(context.instance, file_md5(candidate))
    movies = read_movies_csv(candidate)
    version = dataset_repository.stage(candidate, MOVIES_CSV_PATH)
    dates = snapshot_dates(movies)
    record = VersionRecord(
        md5=version.md5,
        path=MOVIES_CSV_PATH,
        size=version.size,
        rows=len(movies),
        snapshot_dates=dates,
        published_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        remote_url=version.remote_url,
        remote_object=dataset_repository.remote_object(version.md5),
        lake=_copy_to_lake(lake, candidate, movies, dates[-1], version.md5),
        source_files=source_files_of(context.instance, dates),
        # Published before features run, so a run's FeaturesConfig is unknown: the profile uses the default.
        profile=profile_movies(movies, DEFAULT_RATING_THRESHOLD).to_dict(),
    )
    crash_point("dataset.lake_written")
    if not dataset_repository.commit(MOVIES_CSV_PATH, record):
        # The same data again: the registry keeps its first publication; report that date with where the
        # bytes are now.
        record = replace(record, published_at=dataset_repository.registry(MOVIES_CSV_PATH).latest().published_at)
    context.log.info(f"dataset version {record.md5} pushed to {record.remote_object}")
    return _output(record, reused=False)


def _copy_to_lake(lake: DataLake, candidate: Path, movies: pd.DataFrame, snapshot_date: str, md5: str) -> dict[str, str]:
    """The lake's immutable CSV and Parquet copies of version `md5` (an existing copy is the same data)."""
    uris = {"csv": lake.put_file(candidate, lake_key(snapshot_date, md5, "csv"))}
    parquet_key = lake_key(snapshot_date, md5, "parquet")
    if not lake.exists(parquet_key):  # derived from the same CSV bytes
        with scratch_dir("imdb-lake-") as tmp:
            parquet = Path(tmp) / f"{FILTERED_MOVIES_TABLE}.parquet"
            movies.to_parquet(parquet, index=False)
            lake.put_file(parquet, parquet_key)
    uris["parquet"] = lake.uri(parquet_key)
    return uris


def _output(record: VersionRecord, reused: bool) -> Output[DatasetVersion]:
    version = DatasetVersion(
        md5=record.md5,
        path=record.path,
        size=record.size,
        remote_url=record.remote_url,
        rows=record.rows,
        snapshot_date=record.snapshot_date,
    )
    return Output(version, data_version=DataVersion(record.md5), metadata=lineage_metadata(record, reused))
