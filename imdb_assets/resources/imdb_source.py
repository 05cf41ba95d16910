"""Where IMDb snapshots come from: a folder or a base URL holding IMDb's two files."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from imdb_assets.ingest.imdb_files import StagedFile, stage_snapshot


class ImdbSource(ConfigurableResource):
    """A folder or base URL (e.g. https://datasets.imdbws.com/) with title.basics/title.ratings .tsv.gz."""

    location: str = Field(description="Folder path or base URL holding IMDb's .tsv.gz files.")

    def stage(self, work_dir: Path) -> dict[str, StagedFile]:
        return stage_snapshot(self.location, work_dir)
