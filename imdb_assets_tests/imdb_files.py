"""Write small IMDb-format snapshots for tests (tab-separated, `\\N` nulls, gzip, no quoting)."""

from __future__ import annotations

import gzip
from pathlib import Path

BASICS_HEADER = ["tconst", "titleType", "primaryTitle", "originalTitle", "isAdult", "startYear", "endYear", "runtimeMinutes", "genres"]
RATINGS_HEADER = ["tconst", "averageRating", "numVotes"]


def _cell(value) -> str:
    return "\\N" if value is None else str(value)


def write_tsv_gz(path: Path, header: list[str], rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["\t".join(header)] + ["\t".join(_cell(v) for v in row) for row in rows]
    with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def movie(tconst: str, title: str, genres: str | None = "Drama", title_type: str = "movie", year: int | None = 2001) -> list:
    return [tconst, title_type, title, title, 0, year, None, 95, genres]


def write_snapshot(folder: Path, basics: list[list], ratings: list[list]) -> Path:
    write_tsv_gz(folder / "title.basics.tsv.gz", BASICS_HEADER, basics)
    write_tsv_gz(folder / "title.ratings.tsv.gz", RATINGS_HEADER, ratings)
    return folder
