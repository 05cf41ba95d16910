"""Malformed IMDb files fail with one actionable line and leave every earlier output intact."""

import hashlib
from pathlib import Path

import duckdb
import pytest

from imdb_assets.cli import main
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.imdb_files import BASICS_HEADER, RATINGS_HEADER, movie, write_snapshot, write_tsv_gz


def good_basics() -> list[list]:
    return [movie(f"tt00000{i:02d}", f"Movie {i}", "Drama") for i in range(1, 11)]


def good_ratings() -> list[list]:
    return [[f"tt00000{i:02d}", 6.0, 10] for i in range(1, 11)]


def wrong_columns(folder: Path) -> None:
    header = [("title" if c == "primaryTitle" else c) for c in BASICS_HEADER]
    write_tsv_gz(folder / "title.basics.tsv.gz", header, good_basics())
    write_tsv_gz(folder / "title.ratings.tsv.gz", RATINGS_HEADER, good_ratings())


def bad_rating(folder: Path) -> None:
    ratings = good_ratings()
    ratings[3][1] = 11.5
    write_snapshot(folder, good_basics(), ratings)


def truncated_gzip(folder: Path) -> None:
    write_snapshot(folder, good_basics() * 1, good_ratings())
    data = (folder / "title.basics.tsv.gz").read_bytes()
    (folder / "title.basics.tsv.gz").write_bytes(data[: len(data) // 2])


def non_numeric_runtime(folder: Path) -> None:
    basics = good_basics()
    basics[2][7] = "ninety"
    write_snapshot(folder, basics, good_ratings())


CASES = {
    "wrong_columns": (wrong_columns, ["title.basics.tsv.gz", "primaryTitle"]),
    "bad_rating": (bad_rating, ["title.ratings.tsv.gz", "averageRating", "tt0000004", "11.5"]),
    "truncated_gzip": (truncated_gzip, ["title.basics.tsv.gz"]),
    "non_numeric_runtime": (non_numeric_runtime, ["title.basics.tsv.gz", "runtimeMinutes", "tt0000003", "ninety"]),
}


def fingerprint(home: Path) -> dict:
    paths = LocalPaths(home)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        raw = con.execute("SELECT snapshot_date, count(*) FROM raw.title_basics GROUP BY 1 ORDER BY 1").fetchall()
        filtered = con.execute("SELECT count(*), max(last_modified) FROM main.filtered_movies_incremental").fetchone()
    return {
        "raw": raw,
        "filtered": filtered,
        "csv": hashlib.md5(paths.movies_csv.read_bytes()).hexdigest(),
        "dvc": (paths.data_dir / "raw" / "filtered_movies_incremental.csv.dvc").read_text(),
        "model": (paths.models_dir / "latest").read_text(),
        "lake": sorted(p.relative_to(paths.lake).as_posix() for p in paths.lake.rglob("*") if p.is_file()),
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_snapshot_fails_in_one_line_and_keeps_outputs(case: str, home_copy: Path, tmp_path: Path, capsys):
    make_bad, expected_words = CASES[case]
    bad_source = tmp_path / "bad"
    bad_source.mkdir()
    make_bad(bad_source)
    before = fingerprint(home_copy)
    capsys.readouterr()
    assert main(["run", "--source", str(bad_source), "--snapshot-date", "2026-11-02"]) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("imdb-assets run: error:")
    for word in expected_words:
        assert word in error, error
    assert fingerprint(home_copy) == before
