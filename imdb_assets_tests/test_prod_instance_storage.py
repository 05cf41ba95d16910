"""deploy/dagster.yaml as the instance: runs, events and schedules in a real PostgreSQL (Debian's
server, started and stopped here), compute logs in GCS (fake-gcs-server)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dagster import DagsterInstance, asset, materialize
from google.cloud import storage

from deploy.render import INSTANCE_YAML
from imdb_assets_tests.prod_fixtures import fake_gcs_server, point_clients_at_emulators, postgres_server

LOGS_BUCKET = "imdb-compute-logs"


@asset
def greeting() -> str:
    """A tiny asset: what matters here is where its run, events and logs are stored."""
    print("hello from the run worker")
    return "hello"


@pytest.fixture
def production_instance_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A DAGSTER_HOME holding deploy/dagster.yaml verbatim, with the environment a pod would have."""
    with postgres_server() as postgres, fake_gcs_server(tmp_path, buckets=(LOGS_BUCKET,)) as gcs_url:
        point_clients_at_emulators(monkeypatch, gcs_url=gcs_url)
        for name, value in {
            "DAGSTER_PG_HOST": postgres.host,
            "DAGSTER_PG_PORT": str(postgres.port),
            "DAGSTER_PG_DB": postgres.database,
            "DAGSTER_PG_USERNAME": postgres.user,
            "DAGSTER_PG_PASSWORD": "unused-with-trust-auth",
            "IMDB_ASSETS_COMPUTE_LOGS_BUCKET": LOGS_BUCKET,
        }.items():
            monkeypatch.setenv(name, value)
        home = tmp_path / "dagster_home"
        home.mkdir()
        shutil.copy(INSTANCE_YAML, home / "dagster.yaml")
        yield home


def test_runs_events_and_schedules_persist_in_postgres(production_instance_home: Path):
    with DagsterInstance.from_config(str(production_instance_home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.run_monitoring_enabled and instance.run_retries_enabled and instance.run_retries_max_retries == 2
        instance.upgrade()  # what the chart's migrate job runs: must be a no-op on a fresh schema
        result = materialize([greeting], instance=instance)
        assert result.success
        run_id = result.run_id

    # A second process (another pod) opening the same instance sees the run and the materialization.
    with DagsterInstance.from_config(str(production_instance_home)) as instance:
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.is_success
        assert instance.get_latest_materialization_event(greeting.key) is not None
        assert instance.schedule_storage.all_instigator_state() == []

    # The step's stdout went to the compute-log bucket.
    logs = [blob.name for blob in storage.Client().list_blobs(LOGS_BUCKET, prefix="dagster/compute-logs/")]
    assert logs, "no compute logs were uploaded"
    texts = [storage.Client().bucket(LOGS_BUCKET).blob(name).download_as_text() for name in logs]
    assert any("hello from the run worker" in text for text in texts)
