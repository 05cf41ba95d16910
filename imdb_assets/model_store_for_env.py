"""The model store of the current environment, for the commands and the server (no Dagster imports).

Prod reads the same checked settings as the asset graph's resources (imdb_assets/prod_settings.py).
"""

from __future__ import annotations

from imdb_assets.model.store import LocalModelStore, ModelStore
from imdb_assets.prod_settings import load_prod_settings
from imdb_assets.settings import current_env, local_paths


def model_store_for_env() -> ModelStore:
    """Local: `$IMDB_ASSETS_HOME/models`. Prod: the GCS store at IMDB_ASSETS_MODEL_STORE_URL."""
    if current_env() == "prod":
        settings = load_prod_settings()  # raises ProdSettingsError naming every missing variable
        from imdb_assets.model.gcs_store import GCSModelStore  # Google clients only when needed

        return GCSModelStore(settings.model_store_url, project=settings.gcp_project)
    return LocalModelStore(local_paths().models_dir)
