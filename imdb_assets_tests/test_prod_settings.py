"""IMDB_ASSETS_ENV=prod settings: read from the environment, checked at start-up, every problem named."""

from __future__ import annotations

from pathlib import Path

import pytest

from imdb_assets.environments import prod_resources
from imdb_assets.prod_settings import REQUIRED_VARIABLES, ProdSettingsError, load_prod_settings

COMPLETE = {
    "IMDB_ASSETS_GCP_PROJECT": "imdb-prod",
    "IMDB_ASSETS_LAKE_URL": "gs://imdb-prod-lake/lake/",
    "IMDB_ASSETS_DVC_REMOTE_URL": "gs://imdb-prod-dvc",
    "IMDB_ASSETS_MODEL_STORE_URL": "gs://imdb-prod-models/models",
    "IMDB_ASSETS_IO_URL": "gs://imdb-prod-io/dagster",
}


def test_every_missing_variable_is_named_in_one_message():
    with pytest.raises(ProdSettingsError) as raised:
        load_prod_settings({"IMDB_ASSETS_GCP_PROJECT": "imdb-prod"})
    message = str(raised.value)
    assert message.startswith("IMDB_ASSETS_ENV=prod: ")
    for name in REQUIRED_VARIABLES:
        assert (name in message) == (name != "IMDB_ASSETS_GCP_PROJECT"), name
    assert "\n" not in message


def test_urls_must_be_gs_and_a_given_dbt_executable_must_exist(tmp_path: Path):
    with pytest.raises(ProdSettingsError, match=r"IMDB_ASSETS_DVC_REMOTE_URL='s3://bucket' is not a gs://bucket\[/prefix\] URL"):
        load_prod_settings({**COMPLETE, "IMDB_ASSETS_DVC_REMOTE_URL": "s3://bucket"})
    with pytest.raises(ProdSettingsError, match="IMDB_ASSETS_DBT_EXECUTABLE='/nowhere/dbt' does not exist"):
        load_prod_settings({**COMPLETE, "IMDB_ASSETS_DBT_EXECUTABLE": "/nowhere/dbt"})


def test_defaults_and_the_resource_set(tmp_path: Path):
    settings = load_prod_settings({**COMPLETE, "IMDB_ASSETS_HOME": str(tmp_path / "pod")})
    assert settings.lake_url == "gs://imdb-prod-lake/lake"  # trailing slash dropped
    assert (settings.bigquery_location, settings.dbt_dataset) == ("US", "imdb")
    assert settings.imdb_source == "https://datasets.imdbws.com/"
    resources = prod_resources(settings)
    # The same keys as the local environment, so every asset finds its resources.
    assert set(resources) == {"imdb_source", "warehouse", "dbt", "lake", "dataset_repository", "model_store", "io_manager", "parquet_io_manager"}
    assert resources["warehouse"].bigquery.project == "imdb-prod"
    assert resources["dbt"].target == "prod"
    assert resources["dataset_repository"].remote_url == "gs://imdb-prod-dvc"
    assert resources["dataset_repository"].repo_dir == str(tmp_path / "pod" / "data")
    assert (resources["io_manager"].gcs_bucket, resources["io_manager"].gcs_prefix) == ("imdb-prod-io", "dagster/io")


def test_the_prod_switch_fails_at_start_up_naming_what_is_missing(monkeypatch: pytest.MonkeyPatch):
    from imdb_assets.definitions import build_definitions

    for name in REQUIRED_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IMDB_ASSETS_ENV", "prod")
    with pytest.raises(ProdSettingsError, match="IMDB_ASSETS_GCP_PROJECT"):
        build_definitions()


def test_the_commands_model_store_reads_the_same_checked_settings(monkeypatch: pytest.MonkeyPatch):
    from imdb_assets.model_store_for_env import model_store_for_env

    monkeypatch.setenv("IMDB_ASSETS_ENV", "prod")
    for name in REQUIRED_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IMDB_ASSETS_MODEL_STORE_URL", "gs://imdb-prod-models/models")
    with pytest.raises(ProdSettingsError) as raised:
        model_store_for_env()
    assert "IMDB_ASSETS_GCP_PROJECT is not set" in str(raised.value)


def test_build_definitions_env_switches_the_dbt_target_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from imdb_assets.definitions import build_definitions

    for name, value in {**COMPLETE, "IMDB_ASSETS_HOME": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("IMDB_ASSETS_ENV", "local")
    prod = build_definitions(env="prod").resources
    assert prod["dbt"].target == "prod" and prod["model_store"].root == "gs://imdb-prod-models/models"
    monkeypatch.setenv("IMDB_ASSETS_ENV", "prod")
    local = build_definitions(env="local").resources
    assert local["dbt"].target == "local" and local["model_store"].root == str(tmp_path / "models")
