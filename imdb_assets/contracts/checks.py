"""Custom pandera checks shared by the contracts (registered once, usable as `pa.Field(<name>=...)`)."""

import pandas as pd
from pandera import extensions


@extensions.register_check_method(statistics=["allowed"], check_type="element_wise")
def genres_within(genres: str, *, allowed: list[str]) -> bool:
    """A comma-separated genre list whose every genre is in `allowed` (nulls are handled by `nullable`)."""
    if genres is None or (isinstance(genres, float) and pd.isna(genres)):
        return True
    return all(genre in allowed for genre in str(genres).split(","))
