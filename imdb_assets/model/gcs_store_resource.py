"""The GCS model store as a Dagster resource (the store itself is pure: imdb_assets/model/gcs_store.py)."""

from pydantic import Field

from imdb_assets.model.gcs_store import GCSModelStore
from imdb_assets.model.store import ModelStore
from imdb_assets.model.store_resource import ModelStoreResource


class GCSModelStoreResource(ModelStoreResource):
    """Versioned models with a champion pointer under a gs:// prefix (same interface as the folder store)."""

    root: str = Field(description="gs://bucket/prefix of the model store.")
    project: str | None = Field(default=None, description="GCP project for the storage client.")

    def store(self) -> ModelStore:
        return GCSModelStore(self.root, project=self.project)
