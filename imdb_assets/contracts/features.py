"""Contract of the prepared features: what the model trains on and serving reproduces."""

import pandera.pandas as pa
from pandera.typing import Series

from imdb_assets.contracts.raw_imdb import TCONST_PATTERN


class MovieFeatures(pa.DataFrameModel):
    tconst: Series[str] = pa.Field(str_matches=TCONST_PATTERN, unique=True)
    title: Series[str]
    title_clean: Series[str]
    genres: Series[str]
    averageRating: Series[float] = pa.Field(in_range={"min_value": 1.0, "max_value": 10.0})
    label: Series[int] = pa.Field(isin=[0, 1])
    split: Series[str] = pa.Field(isin=["train", "test"])

    class Config:
        strict = True
        ordered = True
