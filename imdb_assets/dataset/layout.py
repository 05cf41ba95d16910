"""Where the dataset's files live: in the DVC repository and in the data lake."""

from imdb_assets.resources.warehouse import FILTERED_MOVIES_TABLE

MOVIES_CSV_ASSET = "movies_csv"  # the candidate CSV's asset key (its checks target it)
MOVIES_CSV_PATH = f"raw/{FILTERED_MOVIES_TABLE}.csv"  # relative to the DVC repository (data folder)


def lake_key(snapshot_date: str, md5: str, suffix: str = "csv") -> str:
    """Partition-style and content-addressed: a snapshot date can be published again with other rows
    (a backfill) without ever overwriting what was published before."""
    return f"raw/{FILTERED_MOVIES_TABLE}/snapshot_date={snapshot_date}/dataset_md5={md5}/{FILTERED_MOVIES_TABLE}.{suffix}"
