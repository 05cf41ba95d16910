"""Where IMDb snapshots come from: a folder or a base URL holding IMDb's two files."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from imdb_assets import settings
from imdb_assets.ingest.imdb_files import StagedFile, stage_snapshot


class ImdbSource(ConfigurableResource):
    """A folder or base URL (e.g. https://datasets.imdbws.com/) with title.basics/title.ratings .tsv.gz."""

    location: str = Field(description="Folder path or base URL holding IMDb's .tsv.gz files.")
    download_cache: str = Field(
        default="",
        description="Folder keeping a URL's downloaded files and their validators between runs "
        "(default: `downloads` under IMDB_ASSETS_HOME).",
    )

    def download_dir(self) -> Path:
        return Path(self.download_cache).expanduser() if self.download_cache else settings.local_paths().downloads

    def stage(self, work_dir: Path) -> dict[str, StagedFile]:
        return stage_snapshot(self.location, work_dir, self.download_dir())
