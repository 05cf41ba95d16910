"""The HTTP API's request and response shapes (they are also what /docs and /openapi.json show)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from imdb_assets.serving.limits import MAX_GENRE_CHARS, MAX_GENRES, MAX_TITLE_CHARS

# contracts/raw_imdb.py's TCONST_PATTERN (a test holds them equal); not imported, it would bring pandera into the server.
TCONST_PATTERN = r"^tt[0-9]{7,}$"
NO_COMMA = r"^[^,]*$"  # one genre per item: "Comedy,Drama" would silently be two

Genre = Annotated[str, StringConstraints(max_length=MAX_GENRE_CHARS, pattern=NO_COMMA)]



# Python's and JSON Schema's `\S` disagree on a few characters (e.g. U+001C is white space to Python
# only): the pattern names Python's white space itself, so the published schema and the server agree.
PYTHON_WHITE_SPACE = "\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = f"[^{PYTHON_WHITE_SPACE}]"

class PredictItem(BaseModel):
    """One movie to judge."""

    # Python's regex engine, not pydantic's default Rust one: `\S` must mean what `str.strip()` means here
    # and what schema-driven clients in Python generate (the engines disagree on e.g. "\x1c").
    model_config = ConfigDict(
        extra="forbid",
        regex_engine="python-re",
        json_schema_extra={"examples": [{"title": "The Matrix", "genres": ["Action", "Sci-Fi"], "tconst": "tt0133093"}]},
    )

    title: str = Field(
        min_length=1, max_length=MAX_TITLE_CHARS, pattern=NOT_BLANK, description="the movie's title, as IMDb writes it"
    )
    genres: list[Genre] = Field(
        default_factory=list,
        max_length=MAX_GENRES,
        description="IMDb genres, one per item (e.g. Comedy, Drama); genres the model never saw are ignored and listed back, "
        "with the known genres they may mean",
    )
    tconst: str | None = Field(
        default=None,
        pattern=TCONST_PATTERN,
        description="the movie's IMDb id (tt followed by 7 or more digits), if known: it is logged with the answer, "
        "so the answer can be scored once IMDb rates the movie",
    )


class PredictionOut(BaseModel):
    label: Literal[0, 1] = Field(description="1: the viewer will probably enjoy it (probability >= threshold)")
    probability: float = Field(ge=0, le=1, description="the model's probability that the viewer enjoys it")
    threshold: float = Field(description="the probability from which the label is 1")
    model_version: str = Field(description="the champion model that answered")
    unknown_genres: list[str] = Field(description="genres the model never saw (ignored)")
    suggestions: dict[str, list[str]] = Field(
        description="per unknown genre, the known genres it may be a misspelling of, closest first ([] when none is close)",
        examples=[{"Cmedy": ["Comedy"]}],
    )
    training_data: Literal["synthetic", "real", "unknown"] = Field(
        description="what the model was trained on; 'synthetic': its answers for real films are not meaningful"
    )


class ErrorOut(BaseModel):
    detail: str = Field(description="what is wrong, in one line")
    field: str | None = Field(default=None, description="the request field at fault, e.g. title, genres, [3].title, body")


class HealthOut(BaseModel):
    status: Literal["ready", "not ready"]
    model_version: str | None
    detail: str = Field(description="why the server is not ready, or a failed reload while the current champion keeps serving")
    prediction_log: dict[str, Any] | None = Field(
        default=None,
        description="the prediction log's counters (rows queued, written, dropped when the queue was full, lost to write "
        "errors; files written); null when logging is off",
    )


class ModelOut(BaseModel):
    version: str
    dataset_version: str | None = Field(description="md5 of the DVC-versioned dataset it was trained on")
    trained_at: str | None
    metrics: dict[str, Any] = Field(description="held-out test metrics recorded at training time")
    threshold: float
    known_genres: list[str]
    params: dict[str, Any]
    training_data: dict[str, Any] = Field(description="the snapshot it was trained on: source, snapshot_date, kind")
    trained_on: str = Field(description="the same in one line, with a warning when the data is synthetic")
