"""Contracts of IMDb's published files, one row per title, as loaded into the warehouse's raw tables.

The column order is the files' header order; ingestion checks headers and values against these models.
"""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from imdb_assets.contracts import checks as _checks  # noqa: F401  (registers genres_within)
from imdb_assets.contracts.vocabulary import IMDB_GENRES, TITLE_TYPES

TCONST_PATTERN = r"^tt[0-9]{7,}$"
# IMDb's longest titles are a few hundred characters; a far longer one is a broken file, not a title.
MAX_TITLE_CHARACTERS = 2000
TCONST_DESCRIPTION = 'IMDb\'s title id: "tt" followed by at least 7 digits, e.g. tt0111161.'


class TitleBasics(pa.DataFrameModel):
    """`title.basics.tsv.gz`: every title IMDb knows, of every type."""

    tconst: Series[str] = pa.Field(str_matches=TCONST_PATTERN, unique=True, description=TCONST_DESCRIPTION)
    titleType: Series[str] = pa.Field(isin=list(TITLE_TYPES), description="The kind of title: movie, short, tvSeries, tvEpisode, videoGame, ...")
    primaryTitle: Series[str] = pa.Field(
        nullable=True, str_length={"max_value": MAX_TITLE_CHARACTERS}, description="The title the work is best known by, as IMDb shows it."
    )
    originalTitle: Series[str] = pa.Field(
        nullable=True, str_length={"max_value": MAX_TITLE_CHARACTERS}, description="The title in its original language; may be null."
    )
    isAdult: Series[pd.Int64Dtype] = pa.Field(isin=[0, 1], description="1 for an adult title, 0 otherwise.")
    startYear: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, in_range={"min_value": 1850, "max_value": 2100},
        description="The release year (for a series, the year it started); null when unknown.",
    )
    endYear: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, in_range={"min_value": 1850, "max_value": 2100},
        description="The year a series ended; null for movies and for series still running.",
    )
    runtimeMinutes: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, description="The main runtime in minutes; null when unknown.")
    genres: Series[str] = pa.Field(
        nullable=True, genres_within={"allowed": list(IMDB_GENRES)},
        description='Up to three IMDb genres, comma-separated in IMDb\'s order, e.g. "Drama,Romance".',
    )

    class Config:
        strict = True
        ordered = True


class TitleRatings(pa.DataFrameModel):
    """`title.ratings.tsv.gz`: the weighted average rating and vote count of rated titles."""

    tconst: Series[str] = pa.Field(str_matches=TCONST_PATTERN, unique=True, description=TCONST_DESCRIPTION)
    averageRating: Series[float] = pa.Field(
        in_range={"min_value": 1.0, "max_value": 10.0}, description="IMDb's weighted average of its users' ratings, from 1.0 to 10.0."
    )
    numVotes: Series[pd.Int64Dtype] = pa.Field(ge=0, description="How many users rated the title.")

    class Config:
        strict = True
        ordered = True


RAW_FILES: dict[str, type[pa.DataFrameModel]] = {
    "title.basics.tsv.gz": TitleBasics,
    "title.ratings.tsv.gz": TitleRatings,
}
