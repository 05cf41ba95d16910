"""The model store as a Dagster resource (the store itself is pure: imdb_assets/model/store.py).

`store()` returns a `ModelStore`; the local environment uses a folder. A cloud environment adds a
resource whose `store()` returns its own `ModelStore` subclass (same interface), nothing else changes.
"""

from dagster import ConfigurableResource

from imdb_assets.model.store import LocalModelStore, ModelStore


class ModelStoreResource(ConfigurableResource):
    """Versioned models with a champion pointer in a local folder."""

    root: str

    def store(self) -> ModelStore:
        return LocalModelStore(self.root)
