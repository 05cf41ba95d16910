"""Contracts of IMDb's published files, one row per title, as loaded into the warehouse's raw tables.

The column order is the files' header order; ingestion checks headers and values against these models.
"""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from imdb_assets.contracts import checks as _checks  # noqa: F401  (registers genres_within)
from imdb_assets.contracts.vocabulary import IMDB_GENRES, TITLE_TYPES

TCONST_PATTERN = r"^tt[0-9]{7,}$"


class TitleBasics(pa.DataFrameModel):
    """`title.basics.tsv.gz`: every title IMDb knows, of every type."""

    tconst: Series[str] = pa.Field(str_matches=TCONST_PATTERN, unique=True)
    titleType: Series[str] = pa.Field(isin=list(TITLE_TYPES))
    primaryTitle: Series[str] = pa.Field(nullable=True)
    originalTitle: Series[str] = pa.Field(nullable=True)
    isAdult: Series[pd.Int64Dtype] = pa.Field(isin=[0, 1])
    startYear: Series[pd.Int64Dtype] = pa.Field(nullable=True, in_range={"min_value": 1850, "max_value": 2100})
    endYear: Series[pd.Int64Dtype] = pa.Field(nullable=True, in_range={"min_value": 1850, "max_value": 2100})
    runtimeMinutes: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    genres: Series[str] = pa.Field(nullable=True, genres_within={"allowed": list(IMDB_GENRES)})

    class Config:
        strict = True
        ordered = True


class TitleRatings(pa.DataFrameModel):
    """`title.ratings.tsv.gz`: the weighted average rating and vote count of rated titles."""

    tconst: Series[str] = pa.Field(str_matches=TCONST_PATTERN, unique=True)
    averageRating: Series[float] = pa.Field(in_range={"min_value": 1.0, "max_value": 10.0})
    numVotes: Series[pd.Int64Dtype] = pa.Field(ge=0)

    class Config:
        strict = True
        ordered = True


RAW_FILES: dict[str, type[pa.DataFrameModel]] = {
    "title.basics.tsv.gz": TitleBasics,
    "title.ratings.tsv.gz": TitleRatings,
}
