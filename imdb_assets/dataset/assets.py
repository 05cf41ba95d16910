"""The validated raw CSV (local and in the lake) and its DVC-versioned dataset."""


from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, DataVersion, MaterializeResult, MetadataValue, Output, asset

from imdb_assets.dataset.validate import validate_movies, write_csv_atomically
from imdb_assets.resources.dataset_repository import DatasetRepository, DatasetVersion
from imdb_assets.resources.lake import DataLake, file_md5
from imdb_assets.resources.warehouse import FILTERED_MOVIES_TABLE, Warehouse

MOVIES_CSV_PATH = f"raw/{FILTERED_MOVIES_TABLE}.csv"  # relative to the DVC repository (data folder)


def lake_key(snapshot_date: str) -> str:
    return f"raw/{FILTERED_MOVIES_TABLE}/snapshot_date={snapshot_date}/{FILTERED_MOVIES_TABLE}.csv"


@asset(
    deps=[AssetKey(FILTERED_MOVIES_TABLE)],
    group_name="dataset",
    kinds={"csv", "pandas"},
)
def movies_csv(warehouse: Warehouse, lake: DataLake, dataset_repository: DatasetRepository) -> MaterializeResult:
    """`data/raw/filtered_movies_incremental.csv`: the filtered table, validated by its pandera contract
    before it is written (atomically: invalid data leaves the previous CSV untouched), then copied to the
    data lake under the newest snapshot date it contains."""
    movies = validate_movies(warehouse.read_filtered_movies())
    csv_path = Path(dataset_repository.repo_dir) / MOVIES_CSV_PATH
    write_csv_atomically(movies, csv_path)
    snapshot_date = str(movies["last_modified"].max())
    lake_uri = lake.put_file(csv_path, lake_key(snapshot_date))
    md5 = file_md5(csv_path)
    return MaterializeResult(
        data_version=DataVersion(md5),
        metadata={
            "dagster/row_count": len(movies),
            "path": MetadataValue.path(str(csv_path)),
            "lake_uri": MetadataValue.url(lake_uri),
            "md5": md5,
            "snapshot_date": snapshot_date,
            "snapshot_dates": sorted(movies["last_modified"].unique().tolist()),
        },
    )


@asset(deps=[movies_csv], group_name="dataset", kinds={"dvc"})
def movies_dataset(context: AssetExecutionContext, dataset_repository: DatasetRepository) -> Output[DatasetVersion]:
    """The CSV versioned with DVC (`dvc add` then `dvc push` to the remote); DVC's md5 is the data version."""
    version = dataset_repository.add_and_push(MOVIES_CSV_PATH)
    rows = sum(1 for _ in open(Path(dataset_repository.repo_dir) / MOVIES_CSV_PATH, "rb")) - 1
    context.log.info(f"dataset version {version.md5} pushed to {version.remote_url}")
    return Output(
        version,
        data_version=DataVersion(version.md5),
        metadata={
            "dvc_md5": version.md5,
            "dvc_remote": version.remote_url,
            "size_bytes": version.size,
            "dagster/row_count": rows,
            "path": version.path,
        },
    )
