"""The model store of the current environment, for the commands and the server (no Dagster imports)."""

from __future__ import annotations

import os

from imdb_assets.errors import NotReadyError
from imdb_assets.model.store import LocalModelStore, ModelStore
from imdb_assets.settings import current_env, local_paths


def model_store_for_env() -> ModelStore:
    """Local: `$IMDB_ASSETS_HOME/models`. Prod: the GCS store at IMDB_ASSETS_MODEL_STORE_URL."""
    if current_env() == "prod":
        url = os.environ.get("IMDB_ASSETS_MODEL_STORE_URL", "")
        if not url:
            raise NotReadyError("IMDB_ASSETS_ENV=prod: IMDB_ASSETS_MODEL_STORE_URL (gs://bucket/prefix) is not set")
        from imdb_assets.model.gcs_store import GCSModelStore  # Google clients only when needed

        return GCSModelStore(url, project=os.environ.get("IMDB_ASSETS_GCP_PROJECT") or None)
    return LocalModelStore(local_paths().models_dir)
