"""The synthetic IMDb snapshot generator: determinism, IMDb's file format, realism, the next day."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from imdb_assets.synth.__main__ import main as synth_main
from imdb_assets.synth.generator import (
    IMDB_GENRES,
    TITLE_TYPES,
    SnapshotSummary,
    write_next_day,
    write_snapshot,
)

BASICS = "title.basics.tsv.gz"
RATINGS = "title.ratings.tsv.gz"
BASICS_HEADER = "tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear\truntimeMinutes\tgenres"
RATINGS_HEADER = "tconst\taverageRating\tnumVotes"
SAMPLE_DIR = Path(__file__).resolve().parents[1] / "imdb_assets" / "ingest" / "sample"


def _lines(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        text = f.read()
    assert text.endswith("\n") and "\r" not in text
    return text[:-1].split("\n")


def _rows(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in _lines(path)[1:]]


def _pandas(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", quoting=3, na_values="\\N", keep_default_na=False, dtype=str)


def _duckdb(path: Path) -> pd.DataFrame:
    sql = (
        f"select * from read_csv('{path}', delim='\\t', quote='', escape='', header=true, "
        "nullstr='\\N', all_varchar=true)"
    )
    return duckdb.sql(sql).df()


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> tuple[Path, SnapshotSummary]:
    out = tmp_path_factory.mktemp("snap")
    return out, write_snapshot(out, titles=20_000, seed=11)


def test_vocabularies_match_the_contracts():
    from imdb_assets.contracts.vocabulary import IMDB_GENRES as contract_genres
    from imdb_assets.contracts.vocabulary import TITLE_TYPES as contract_types

    assert len(IMDB_GENRES) == 28 and list(IMDB_GENRES) == sorted(IMDB_GENRES)
    assert set(IMDB_GENRES) == set(contract_genres)
    assert set(TITLE_TYPES) == set(contract_types)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write_snapshot(a, titles=3000, seed=5)
    write_snapshot(b, titles=3000, seed=5)
    write_snapshot(c, titles=3000, seed=6)
    for name in (BASICS, RATINGS):
        assert (a / name).read_bytes() == (b / name).read_bytes()
        assert (a / name).read_bytes() != (c / name).read_bytes()
        assert (a / name).read_bytes()[4:8] == b"\0\0\0\0"  # gzip mtime 0
    assert sorted(p.name for p in a.iterdir()) == [BASICS, RATINGS]  # no temp files left behind


def test_summary_counts(snapshot):
    out, summary = snapshot
    assert summary.out_dir == out and summary.seconds > 0
    basics, ratings = _rows(out / BASICS), _rows(out / RATINGS)
    assert summary.titles == len(basics) == 20_000
    assert summary.rated == len(ratings)
    types = {r[0]: r[1] for r in basics}
    assert summary.rated_movies == sum(types[r[0]] == "movie" for r in ratings)


def test_basics_format(snapshot):
    out, _ = snapshot
    lines = _lines(out / BASICS)
    assert lines[0] == BASICS_HEADER
    rows = [line.split("\t") for line in lines[1:]]
    assert all(len(r) == 9 for r in rows)
    tconst = [r[0] for r in rows]
    assert all(re.fullmatch(r"tt\d{7,8}", t) for t in tconst)
    ids = [int(t[2:]) for t in tconst]
    assert ids == sorted(set(ids)) and ids[0] == 1
    assert {r[1] for r in rows} <= set(TITLE_TYPES)
    assert {r[4] for r in rows} == {"0", "1"}
    for r in rows:
        for col in (5, 6, 7):
            assert r[col] == "\\N" or re.fullmatch(r"\d+", r[col]), r
        if r[6] != "\\N":
            assert r[1] in ("tvSeries", "tvMiniSeries") and int(r[6]) >= int(r[5])
        if r[5] != "\\N":
            assert 1900 <= int(r[5]) <= 2026
        if r[8] != "\\N":
            genres = r[8].split(",")
            assert len(genres) in (1, 2, 3) and genres == sorted(set(genres)) and set(genres) <= set(IMDB_GENRES)
        assert r[2] != "" and r[3] != ""
    nulls = {col: sum(r[col] == "\\N" for r in rows) / len(rows) for col in (2, 5, 7, 8)}
    assert 0.03 < nulls[8] < 0.08 and nulls[2] < 0.01 and nulls[7] > 0.3 and nulls[5] > 0.01
    assert all(r[1] != "movie" for r in rows if r[2] == "\\N")


def test_no_quoting_and_quotes_roundtrip(snapshot):
    out, _ = snapshot
    rows = _rows(out / BASICS)
    quoted = [r for r in rows if '"' in r[2]]
    assert quoted, "expected some titles with a double quote"
    assert any(r[2].startswith('"') for r in rows), "expected a title that starts with a double quote"
    assert any("'" in r[2] for r in rows) and any(", The" in r[2] for r in rows)
    assert any(re.search(r"[^\x00-\x7f]", r[2]) for r in rows) and any(": " in r[2] for r in rows)
    expected = pd.Series([None if r[2] == "\\N" else r[2] for r in rows])
    for frame in (_pandas(out / BASICS), _duckdb(out / BASICS)):
        assert len(frame) == len(rows)
        assert list(frame.columns) == BASICS_HEADER.split("\t")
        got = frame["primaryTitle"].astype(object).where(frame["primaryTitle"].notna(), None)
        assert got.tolist() == expected.tolist()


def test_ratings_format(snapshot):
    out, _ = snapshot
    lines = _lines(out / RATINGS)
    assert lines[0] == RATINGS_HEADER
    rows = [line.split("\t") for line in lines[1:]]
    assert all(len(r) == 3 and re.fullmatch(r"\d{1,2}\.\d", r[1]) and r[2].isdigit() for r in rows)
    ids = [int(r[0][2:]) for r in rows]
    assert ids == sorted(set(ids))
    assert {r[0] for r in rows} <= {r[0] for r in _rows(out / BASICS)}
    frame = _duckdb(out / RATINGS)
    assert len(frame) == len(rows)


def test_distribution_is_imdb_like(snapshot):
    out, _ = snapshot
    basics = _pandas(out / BASICS)
    ratings = _pandas(out / RATINGS).astype({"averageRating": float, "numVotes": int})
    share = basics["titleType"].value_counts(normalize=True)
    # IMDb: ~77% episodes, ~6.1% movies, ~1.6 M ratings for ~11.8 M titles, ~46% of the movies rated
    assert share.index[0] == "tvEpisode" and 0.74 < share["tvEpisode"] < 0.80
    assert share.index[1] == "short" and 0.055 < share["movie"] < 0.067
    assert 0.125 < len(ratings) / len(basics) < 0.145
    rated = basics.merge(ratings, on="tconst")
    movies = rated[rated["titleType"] == "movie"]
    assert 0.42 < len(movies) / share["movie"] / len(basics) < 0.50
    assert ratings["averageRating"].between(1.0, 10.0).all() and (ratings["numVotes"] >= 5).all()
    r = movies["averageRating"]
    assert 5.9 < r.mean() < 6.6 and 1.0 < r.std() < 1.5 and r.skew() < -0.3
    assert 0.80 < (r >= 5).mean() < 0.92
    assert ratings["numVotes"].max() > 50 * ratings["numVotes"].median()  # heavy tail
    genre_mean = movies.assign(g=movies["genres"].str.split(",")).explode("g").groupby("g")["averageRating"].mean()
    assert genre_mean["Documentary"] > genre_mean["Drama"] > genre_mean["Horror"]
    adult = basics["isAdult"] == "1"
    assert 0.01 < adult.mean() < 0.03
    assert basics.loc[adult, "genres"].str.contains("Adult").mean() > 0.9
    different = (basics["primaryTitle"] != basics["originalTitle"]) & basics["primaryTitle"].notna()
    assert 0.02 < different.mean() < 0.12


def test_counts_scaled_to_imdbs_size_match_imdb(tmp_path):
    """At IMDb's ~11.8 M titles: ~1.6 M ratings, ~330 k of them movies (IMDB_DATA.md), within 5%."""
    titles = 400_000  # under half a chunk: 1-3 s, and sampling error (~1%) well inside the 5% asked for
    summary = write_snapshot(tmp_path, titles=titles, seed=3)
    scale = 11_800_000 / titles
    assert summary.rated * scale == pytest.approx(1_600_000, rel=0.05)
    assert summary.rated_movies * scale == pytest.approx(330_000, rel=0.05)


def test_next_day(tmp_path):
    day0, day1 = tmp_path / "day0", tmp_path / "day1"
    s0 = write_snapshot(day0, titles=20_000, seed=2)
    s1 = write_next_day(day0, day1, change_rate=0.02, seed=9)
    old_lines, new_lines = _lines(day0 / BASICS), _lines(day1 / BASICS)
    assert new_lines[: len(old_lines)] == old_lines  # every title kept as it was
    added = [line.split("\t") for line in new_lines[len(old_lines) :]]
    assert len(added) == s1.titles - s0.titles == round(0.01 * 20_000)
    assert [int(r[0][2:]) for r in added] == list(range(20_001, 20_001 + len(added)))

    old = _pandas(day0 / RATINGS).astype({"averageRating": float, "numVotes": int}).set_index("tconst")
    new = _pandas(day1 / RATINGS).astype({"averageRating": float, "numVotes": int}).set_index("tconst")
    assert len(new) == s1.rated and set(old.index) <= set(new.index)
    both = new.loc[old.index]
    assert (both["numVotes"] >= old["numVotes"]).all()
    changed = (both["numVotes"] != old["numVotes"]) | (both["averageRating"] != old["averageRating"])
    assert changed.sum() == round(0.02 * len(old))
    assert (both.loc[changed, "numVotes"] > old.loc[changed, "numVotes"]).all()
    first = new.index.difference(old.index)
    assert len(first) > 0
    assert {int(t[2:]) <= 20_000 for t in first} == {True, False}  # old titles first rated, and new titles
    assert new["averageRating"].between(1.0, 10.0).all() and (new["numVotes"] >= 5).all()
    ids = [int(t[2:]) for t in new.index]
    assert ids == sorted(ids)

    again = tmp_path / "again"
    write_next_day(day0, again, change_rate=0.02, seed=9)
    assert (again / BASICS).read_bytes() == (day1 / BASICS).read_bytes()
    assert (again / RATINGS).read_bytes() == (day1 / RATINGS).read_bytes()

    # in place: the folder is both the source and the target
    s2 = write_next_day(day1, day1, change_rate=0.02, seed=10)
    assert s2.titles == s1.titles + round(0.01 * s1.titles)
    assert sorted(p.name for p in day1.iterdir()) == [BASICS, RATINGS]


def test_next_day_failure_leaves_no_files(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    write_snapshot(src, titles=500, seed=1)
    (src / BASICS).write_bytes((src / BASICS).read_bytes()[:-20])  # truncated
    with pytest.raises(ValueError, match="truncated"):
        write_next_day(src, out)
    assert list(out.iterdir()) == []


def test_cli(tmp_path, capsys):
    assert synth_main(["--out", str(tmp_path / "a"), "--titles", "1000", "--seed", "3"]) == 0
    assert "1,000 titles" in capsys.readouterr().out
    assert (
        synth_main(["--out", str(tmp_path / "b"), "--from-snapshot", str(tmp_path / "a"), "--change-rate", "0.1"]) == 0
    )
    assert "1,050 titles" in capsys.readouterr().out


def test_bundled_sample_is_the_generator_output(tmp_path):
    summary = write_snapshot(tmp_path, titles=85_000, seed=7)
    for name in (BASICS, RATINGS):
        assert gzip.decompress((SAMPLE_DIR / name).read_bytes()) == gzip.decompress((tmp_path / name).read_bytes()), (
            "regenerate it: python -m imdb_assets.synth --out imdb_assets/ingest/sample --titles 85000 --seed 7"
        )
    assert 2_000 <= summary.rated_movies <= 3_000  # enough movies for the model tests on the sample
    assert sum((SAMPLE_DIR / name).stat().st_size for name in (BASICS, RATINGS)) <= 1.5 * 1024 * 1024
    movies = _pandas(SAMPLE_DIR / BASICS).merge(_pandas(SAMPLE_DIR / RATINGS), on="tconst")
    movies = movies[movies["titleType"] == "movie"]
    assert len(movies) == summary.rated_movies
    assert 0.8 < (movies["averageRating"].astype(float) >= 5).mean() < 0.92
    assert summary.titles == 85_000
