"""Contract of the prepared features: what the model trains on and serving reproduces.

Text columns are Arrow-backed strings (`ARROW_STRING`): a dtype check on them is one comparison, and
their pattern checks run in Arrow, where object columns cost a Python call per value (~0.6 s of
checks at IMDb's full size, against ~0.1 s).
"""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from imdb_assets.contracts.raw_imdb import TCONST_PATTERN
from imdb_assets.errors import DataError

ARROW_STRING = pd.StringDtype("pyarrow")
_ARROW = {"storage": "pyarrow"}

# The label's one default: a movie is "enjoyed" when its averageRating is at least this. Every other
# module takes it from here; `FeaturesConfig.rating_threshold` is the only knob that changes it for a run.
DEFAULT_RATING_THRESHOLD = 5.0
# The features frame's `attrs` key for the threshold its labels were computed with: the Parquet IO managers
# keep `attrs` (in the file's schema metadata), so the model reads the threshold from its input.
RATING_THRESHOLD_ATTR = "rating_threshold"


def with_rating_threshold(features: pd.DataFrame, rating_threshold: float) -> pd.DataFrame:
    """`features`, marked with the threshold its labels were computed with."""
    features.attrs[RATING_THRESHOLD_ATTR] = float(rating_threshold)
    return features


def rating_threshold_of(features: pd.DataFrame) -> float:
    """The threshold `features`' labels were computed with; a frame without one is refused, never guessed."""
    value = features.attrs.get(RATING_THRESHOLD_ATTR)
    if value is None:
        raise DataError(
            "the features carry no rating threshold (written before it was recorded): materialize movie_features again"
        )
    return float(value)


class MovieFeatures(pa.DataFrameModel):
    tconst: Series[pd.StringDtype] = pa.Field(str_matches=TCONST_PATTERN, unique=True, dtype_kwargs=_ARROW)
    title: Series[pd.StringDtype] = pa.Field(dtype_kwargs=_ARROW)
    title_clean: Series[pd.StringDtype] = pa.Field(dtype_kwargs=_ARROW)
    genres: Series[pd.StringDtype] = pa.Field(dtype_kwargs=_ARROW)
    averageRating: Series[float] = pa.Field(in_range={"min_value": 1.0, "max_value": 10.0})
    # Not a model input (title and genres are): the model card's per-decade slices read it.
    startYear: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    label: Series[int] = pa.Field(isin=[0, 1])
    split: Series[pd.StringDtype] = pa.Field(isin=["train", "test"], dtype_kwargs=_ARROW)

    class Config:
        strict = True
        ordered = True
