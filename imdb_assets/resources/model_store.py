"""The model store as a Dagster resource (the store itself is pure: imdb_assets/model/store.py)."""

from dagster import ConfigurableResource

from imdb_assets.model.store import LocalModelStore


class ModelStoreResource(ConfigurableResource):
    root: str

    def store(self) -> LocalModelStore:
        return LocalModelStore(self.root)
