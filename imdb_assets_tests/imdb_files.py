"""Write small IMDb-format snapshots for tests (tab-separated, `\\N` nulls, gzip, no quoting)."""

from __future__ import annotations

import gzip
from pathlib import Path

from imdb_assets.settings import BUNDLED_SAMPLE_DIR

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


# The two snapshots of the incremental-model tests (DuckDB and BigQuery): new, changed, unchanged and
# non-movie rows, so the expected merge is exact.
def first_snapshot(folder: Path) -> Path:
    basics = [
        movie("tt0000001", "Heat", "Crime,Drama"),
        movie("tt0000002", "Gigli", "Comedy,Romance"),
        movie("tt0000003", "No Genres", None),  # null genres: filtered out
        movie("tt0000004", "Unrated Yet", "Drama"),  # no rating yet: filtered out
        movie("tt0000005", "A Short", "Short", title_type="short"),  # not a movie
    ]
    ratings = [["tt0000001", 7.0, 100], ["tt0000002", 4.0, 50], ["tt0000003", 6.0, 10], ["tt0000005", 6.5, 20]]
    return write_snapshot(folder, basics, ratings)


def second_snapshot(folder: Path) -> Path:
    basics = [
        movie("tt0000001", "Heat", "Crime,Drama"),
        movie("tt0000002", "Gigli", "Comedy,Romance"),
        movie("tt0000003", "No Genres", None),
        movie("tt0000004", "Unrated Yet", "Drama"),
        movie("tt0000005", "A Short", "Short", title_type="short"),
        movie("tt0000006", "Brand New", "Action"),
    ]
    ratings = [
        ["tt0000001", 7.5, 180],  # changed rating
        ["tt0000002", 4.0, 50],  # unchanged
        ["tt0000003", 6.0, 10],
        ["tt0000004", 8.0, 30],  # newly rated
        ["tt0000005", 9.0, 99],  # a short's rating changed: not a movie, ignored
        ["tt0000006", 6.0, 12],  # new movie
    ]
    return write_snapshot(folder, basics, ratings)


def changed_sample(folder: Path, sample_dir: Path = BUNDLED_SAMPLE_DIR) -> Path:
    """The bundled sample with every 10th rating moved across the label threshold: the same date reloaded
    with new content, as IMDb's next refresh of a day's files would give."""
    import shutil

    folder.mkdir(parents=True)
    shutil.copy(sample_dir / "title.basics.tsv.gz", folder / "title.basics.tsv.gz")
    with gzip.open(sample_dir / "title.ratings.tsv.gz", "rt", encoding="utf-8") as handle:
        header, *rows = handle.read().splitlines()
    changed = []
    for i, row in enumerate(rows):
        tconst, rating, votes = row.split("\t")
        if i % 10 == 0:
            rating = "3.0" if float(rating) >= 5 else "8.0"
        changed.append("\t".join((tconst, rating, votes)))
    with gzip.open(folder / "title.ratings.tsv.gz", "wt", encoding="utf-8", newline="") as handle:
        handle.write("\n".join([header, *changed]) + "\n")
    return folder
