"""IMDb snapshots broken the ways upstream files really break, one writer per case (for the contract tests).

Each writer fills a folder with both files; only the named file is broken, the other one is valid.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from imdb_assets_tests.imdb_files import BASICS_HEADER, RATINGS_HEADER, movie, write_snapshot, write_tsv_gz

BASICS, RATINGS = "title.basics.tsv.gz", "title.ratings.tsv.gz"


def good_basics(n: int = 10) -> list[list]:
    return [movie(f"tt{i:07d}", f"Movie {i}", "Drama") for i in range(1, n + 1)]


def good_ratings(n: int = 10) -> list[list]:
    return [[f"tt{i:07d}", 6.0, 10] for i in range(1, n + 1)]


def renamed_column(folder: Path) -> None:
    header = [("title" if c == "primaryTitle" else c) for c in BASICS_HEADER]
    write_tsv_gz(folder / BASICS, header, good_basics())
    write_tsv_gz(folder / RATINGS, RATINGS_HEADER, good_ratings())


def missing_column(folder: Path) -> None:
    drop = BASICS_HEADER.index("runtimeMinutes")
    header = BASICS_HEADER[:drop] + BASICS_HEADER[drop + 1 :]
    write_tsv_gz(folder / BASICS, header, [row[:drop] + row[drop + 1 :] for row in good_basics()])
    write_tsv_gz(folder / RATINGS, RATINGS_HEADER, good_ratings())


def extra_column(folder: Path) -> None:
    write_tsv_gz(folder / BASICS, BASICS_HEADER, good_basics())
    write_tsv_gz(folder / RATINGS, RATINGS_HEADER + ["numCritics"], [row + [3] for row in good_ratings()])


def new_genre(folder: Path) -> None:
    basics = good_basics()
    basics[4][8] = "Drama,Cyberpunk"
    write_snapshot(folder, basics, good_ratings())


def rating_out_of_range(folder: Path) -> None:
    ratings = good_ratings()
    ratings[3][1] = 11.5
    write_snapshot(folder, good_basics(), ratings)


def non_utf8_byte(folder: Path) -> None:
    write_snapshot(folder, good_basics(), good_ratings())
    lines = gzip.decompress((folder / BASICS).read_bytes()).split(b"\n")
    lines[7] = lines[7].replace(b"Movie 7", b"Movie \xe9 7")  # Latin-1 'é', not UTF-8
    (folder / BASICS).write_bytes(gzip.compress(b"\n".join(lines)))


def duplicated_tconst(folder: Path) -> None:
    basics = good_basics()
    basics.append(movie("tt0000005", "Movie 5 again", "Comedy"))
    write_snapshot(folder, basics, good_ratings())


def empty_file(folder: Path) -> None:
    write_tsv_gz(folder / BASICS, BASICS_HEADER, good_basics())
    (folder / RATINGS).write_bytes(b"")


def header_only(folder: Path) -> None:
    write_tsv_gz(folder / BASICS, BASICS_HEADER, good_basics())
    write_tsv_gz(folder / RATINGS, RATINGS_HEADER, [])


def truncated_gzip(folder: Path) -> None:
    # Large enough (~1 MB compressed) that the header and first rows decompress fine and DuckDB
    # only meets the cut far into the stream, as with an interrupted download of the real file.
    basics = [movie(f"tt{i:07d}", f"Movie number {i} of a long list {i * 7919 % 100003}", "Drama") for i in range(1, 60001)]
    write_snapshot(folder, basics, good_ratings())
    data = (folder / BASICS).read_bytes()
    (folder / BASICS).write_bytes(data[: int(len(data) * 0.6)])


def non_numeric_runtime(folder: Path) -> None:
    basics = good_basics()
    basics[2][7] = "ninety"
    write_snapshot(folder, basics, good_ratings())


@dataclass(frozen=True)
class BadCase:
    write: Callable[[Path], None]
    expected_words: tuple[str, ...]  # file, column, example row (key or value) the one-line error must name


def huge_header(folder: Path) -> None:
    # A 50 MB column name: the error quotes the header, cut, not whole.
    write_tsv_gz(folder / BASICS, [*BASICS_HEADER, "x" * 50_000_000], [row + [""] for row in good_basics()])
    write_tsv_gz(folder / RATINGS, RATINGS_HEADER, good_ratings())


def overlong_title(folder: Path) -> None:
    # A 5 MB title: no title is that long (and DuckDB alone would skip such a row without a word).
    basics = good_basics()
    basics[5][2] = "A" * 5_000_000
    write_tsv_gz(folder / BASICS, BASICS_HEADER, basics)
    write_tsv_gz(folder / RATINGS, RATINGS_HEADER, good_ratings())


BAD_CASES: dict[str, BadCase] = {
    "renamed_column": BadCase(renamed_column, (BASICS, "primaryTitle", "'title'", "tconst=tt0000001")),
    "missing_column": BadCase(missing_column, (BASICS, "runtimeMinutes", "missing", "tconst=tt0000001")),
    "extra_column": BadCase(extra_column, (RATINGS, "numCritics", "unexpected", "tconst=tt0000001")),
    "new_genre": BadCase(new_genre, (BASICS, "genres", "tt0000005", "Cyberpunk")),
    "rating_out_of_range": BadCase(rating_out_of_range, (RATINGS, "averageRating", "tt0000004", "11.5")),
    "non_utf8_byte": BadCase(non_utf8_byte, (BASICS, "primaryTitle", "line 8", "tt0000007")),
    "duplicated_tconst": BadCase(duplicated_tconst, (BASICS, "tconst", "tt0000005", "2 times")),
    "empty_file": BadCase(empty_file, (RATINGS, "empty", "tconst")),
    "header_only": BadCase(header_only, (RATINGS, "no rows")),
    "truncated_gzip": BadCase(truncated_gzip, (BASICS, "truncated gzip", "at column", "last complete row: tconst=tt")),
    "non_numeric_runtime": BadCase(non_numeric_runtime, (BASICS, "runtimeMinutes", "tt0000003", "ninety")),
    "huge_header": BadCase(huge_header, (BASICS, "unexpected column", "'xxxx")),
    "overlong_title": BadCase(overlong_title, (BASICS, "column primaryTitle", "longer than 2,000 characters", "tconst=tt0000006", "(5,000,000 characters)")),
}
