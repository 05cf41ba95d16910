"""The chain a person follows back from a dataset version: md5 -> snapshot dates -> IMDb source files."""

from dagster import AssetKey, AssetRecordsFilter, DagsterInstance, MetadataValue

from imdb_assets.contracts.raw_imdb import RAW_FILES
from imdb_assets.dataset.registry import VersionRecord
from imdb_assets.ingest.assets import raw_asset_key


def source_files_of(instance: DagsterInstance, dates: list[str]) -> dict[str, dict[str, dict[str, str | None]]]:
    """For each snapshot date, the IMDb files it was loaded from, by the raw assets' materializations."""
    found: dict[str, dict[str, dict[str, str | None]]] = {}
    for snapshot_date in dates:
        found[snapshot_date] = {}
        for file_name in RAW_FILES:
            records = instance.fetch_materializations(
                AssetRecordsFilter(asset_key=AssetKey(raw_asset_key(file_name)), asset_partitions=[snapshot_date]),
                limit=1,
            ).records
            metadata = records[0].asset_materialization.metadata if records else {}
            found[snapshot_date][file_name] = {
                "sha256": metadata["source_sha256"].value if "source_sha256" in metadata else None,
                "source": str(metadata["source"].value) if "source" in metadata else None,
            }
    return found


def lineage_metadata(record: VersionRecord, reused: bool) -> dict:
    """What the UI shows for a dataset version: the chain from md5 to snapshots to source files."""
    lines = ["| snapshot date | file | sha256 | source |", "|---|---|---|---|"]
    for snapshot_date, files in sorted(record.source_files.items()):
        for file_name, info in files.items():
            lines.append(f"| {snapshot_date} | {file_name} | `{info.get('sha256') or 'unknown'}` | {info.get('source') or 'unknown'} |")
    return {
        "dvc_md5": record.md5,
        "dagster/row_count": record.rows,
        "size_bytes": record.size,
        "dataset_path": record.path,  # ("path" is the IO manager's: where the handle is pickled)
        "snapshot_date": record.snapshot_date,
        "snapshot_dates": MetadataValue.json(record.snapshot_dates),
        "source_files": MetadataValue.json(record.source_files),
        "lineage": MetadataValue.md("\n".join(lines)),
        "dvc_remote": record.remote_url,
        "remote_object": record.remote_object,
        **{f"lake_{fmt}": MetadataValue.url(uri) for fmt, uri in record.lake.items()},
        "published_at": record.published_at,
        "reused_version": reused,
    }
