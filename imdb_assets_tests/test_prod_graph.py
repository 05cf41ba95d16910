"""The whole asset graph with IMDB_ASSETS_ENV=prod's resources, against both emulators at once:
BigQuery (bqemulator) for raw partitions and the dbt `prod` model, GCS (fake-gcs-server) for the lake,
the DVC remote, the model store and intermediate values."""

from __future__ import annotations

import pytest
from dagster import AssetKey, DagsterInstance, materialize
from google.cloud import storage

from imdb_assets.definitions import ALL_ASSET_CHECKS, ALL_ASSETS
from imdb_assets.environments import prod_resources
from imdb_assets.model.gcs_store import GCSModelStore
from imdb_assets.partitions import register_snapshot_dates
from imdb_assets.pipeline_run import DOWNSTREAM, RAW_AND_DBT
from imdb_assets.prod_settings import load_prod_settings
from imdb_assets.settings import BUNDLED_SAMPLE_DIR
from imdb_assets_tests.prod_fixtures import (
    EMULATOR_PROJECT,
    bigquery_emulator,
    dbt_bigquery_executable,
    fake_gcs_server,
    fake_gke_metadata_server,
    point_clients_at_emulators,
)

BUCKET = "imdb-prod"
SNAPSHOT = "2026-11-01"


@pytest.mark.slow
@pytest.mark.prod_tools  # dbt-bigquery from its own venv
def test_the_whole_graph_runs_on_bigquery_and_gcs(tmp_path, monkeypatch):
    with (
        bigquery_emulator(tmp_path / "bq") as bigquery,
        fake_gcs_server(tmp_path, buckets=(BUCKET,)) as gcs_url,
        fake_gke_metadata_server() as metadata_host,
    ):
        point_clients_at_emulators(monkeypatch, gcs_url=gcs_url, bigquery_url=bigquery.url, metadata_host=metadata_host)
        settings = load_prod_settings({
            "IMDB_ASSETS_GCP_PROJECT": EMULATOR_PROJECT,
            "IMDB_ASSETS_LAKE_URL": f"gs://{BUCKET}/lake",
            "IMDB_ASSETS_DVC_REMOTE_URL": f"gs://{BUCKET}/dvc",
            "IMDB_ASSETS_MODEL_STORE_URL": f"gs://{BUCKET}/models",
            "IMDB_ASSETS_IO_URL": f"gs://{BUCKET}/io",
            "IMDB_ASSETS_HOME": str(tmp_path / "pod"),
            "IMDB_ASSETS_SOURCE": str(BUNDLED_SAMPLE_DIR),
            "IMDB_ASSETS_DBT_EXECUTABLE": dbt_bigquery_executable(),
        })
        resources = prod_resources(settings)
        instance = DagsterInstance.ephemeral()
        register_snapshot_dates(instance, [SNAPSHOT])

        partitioned = materialize(
            ALL_ASSETS, selection=[AssetKey(k) for k in RAW_AND_DBT], partition_key=SNAPSHOT,
            resources=resources, instance=instance,
        )
        assert partitioned.success
        # As `imdb-assets run` does (imdb_assets/pipeline_run.py): the dataset's checks gate publishing.
        downstream = materialize(
            [*ALL_ASSETS, *ALL_ASSET_CHECKS], selection=[AssetKey(k) for k in DOWNSTREAM], resources=resources, instance=instance
        )
        assert downstream.success

        warehouse = resources["warehouse"]
        movies = warehouse.read_filtered_movies()
        assert len(movies) > 100 and set(movies["last_modified"]) == {SNAPSHOT}
        assert {(p.table, p.snapshot_date.isoformat()) for p in warehouse.list_partitions()} == {
            ("title_basics", SNAPSHOT), ("title_ratings", SNAPSHOT)}

        objects = [blob.name for blob in storage.Client().list_blobs(BUCKET)]
        dataset = instance.get_latest_materialization_event(AssetKey("movies_dataset")).asset_materialization
        md5 = dataset.tags["dagster/data_version"]
        assert f"dvc/files/md5/{md5[:2]}/{md5[2:]}" in objects  # DVC pushed to gs://
        assert any(name.startswith("lake/raw/filtered_movies_incremental/") and name.endswith(".csv") for name in objects)
        assert any(name.startswith("io/features/") and name.endswith(".parquet") for name in objects)

        model = GCSModelStore(settings.model_store_url).load()
        assert model.record["dataset_version"] == md5
        model_event = instance.get_latest_materialization_event(AssetKey("enjoyment_model")).asset_materialization
        assert model_event.metadata["model_version"].value == model.version
