"""`normalise_titles` (Arrow, many titles at once) must give exactly what `normalise_title` gives per
title: serving calls the per-title function, so any difference would be a train/serve skew."""

from __future__ import annotations

import csv
import random
import string

import pandas as pd
import pyarrow as pa
import pytest

from imdb_assets.contracts.features import ARROW_STRING
from imdb_assets.features.prepare import prepare_features
from imdb_assets.text_cleaning import normalise_title, normalise_titles, split_genres
from imdb_assets.settings import BUNDLED_SAMPLE_DIR

_READ_IMDB_TSV = {"sep": "\t", "quoting": csv.QUOTE_NONE, "na_values": ["\\N"], "keep_default_na": False, "dtype": str}

TRICKY_TITLES = [
    *string.punctuation,
    *(chr(code) for code in range(0x20)),
    "\x7f",
    *(f"a{char}b" for char in string.punctuation + string.whitespace + "\x00\x1c\x1d\x1e\x1f\x7f"),
    "\tTabbed\ttitle\n",
    "Line\nbreak\r\nand\x0bvertical\x0cfeed",
    "\x1cFile\x1dGroup\x1eRecord\x1fUnit\x1c",
    "  padded  ",
    "Double  Space",
    "three   spaces  between",
    " ",
    "",
    "!!!",
    "... --- ...",
    "'",
    "``",
    "Don't Look Up",
    "Rock 'n' Roll",
    "`Quoted`",
    "It' s",
    "Rocky II",
    "Rocky II: Part Two",
    "Part Two",
    "Vol. 2",
    "Episode V - The Empire Strikes Back",
    "Malcolm X",
    "Step Up",
    "Deep Impact",
    "1,000",
    "U.S.A.",
    "Matrix, The",
    "Tom & Jerry",
    "C++",
    "Amélie",
    "Ночь",
    "千と千尋の神隠し",
    "ＴＯＫＹＯ",
    "Don\u2019t",
    "Caf\u00e9\u00b4s",
    "snake_case_title",
    "MiXeD CaSe 123",
    'a_b-c:d(e)f[g]h{i}j<k>l|m/n\\o?p!q@r#s$t%u^v*w=x~y;z"0',
]


def _vectorised(titles: list[str | None]) -> list[str]:
    return normalise_titles(pa.array(titles, pa.large_string())).to_pylist()


def _per_title(titles: list[str | None]) -> list[str]:
    return [normalise_title(title) for title in titles]


def _sample_basics() -> pd.DataFrame:
    return pd.read_csv(BUNDLED_SAMPLE_DIR / "title.basics.tsv.gz", **_READ_IMDB_TSV)


def test_every_title_of_the_bundled_sample_matches_the_per_title_path():
    basics = _sample_basics()
    titles = sorted(set(basics["primaryTitle"].dropna()) | set(basics["originalTitle"].dropna()))
    assert len(titles) > 40_000  # the whole sample, not an empty read
    assert _vectorised(titles) == _per_title(titles)


@pytest.mark.parametrize("title", TRICKY_TITLES, ids=repr)
def test_tricky_title_matches_the_per_title_path(title):
    assert _vectorised([title]) == [normalise_title(title)]


def test_tricky_titles_together_match_the_per_title_path():
    # Together, so the Arrow path and the Python path share one array and must be put back in order.
    assert _vectorised(TRICKY_TITLES) == _per_title(TRICKY_TITLES)
    assert _vectorised(["!!!", "Tom & Jerry", " Deep\tSpace "]) == ["", "tom and jerry", "deep space"]


def test_random_strings_match_the_per_title_path():
    generator = random.Random(20240601)
    characters = string.printable + "\x00\x1c\x1d\x1e\x1f\x7f" + "éÉ’´ＴйΩ千\u00a0\u2013"
    # Whole words too, so sequel words, numerals and moved articles come up, not only noise.
    words = ["part", "II", "vol.", "Two", "The", ", The", "&", "+", "1,000", "U.S.", "ep", "xiv", " - ", "Don't"]
    titles = []
    for _ in range(5_000):
        pieces = [generator.choice(characters) for _ in range(generator.randint(0, 25))]
        pieces += [generator.choice(words) for _ in range(generator.randint(0, 3))]
        generator.shuffle(pieces)
        titles.append("".join(pieces))
    assert _vectorised(titles) == _per_title(titles)


def test_chunked_input_and_nulls_match_the_per_title_path():
    chunked = pa.chunked_array([["Rocky II", None], ["Amélie", "plain title"]], pa.string())
    cleaned = normalise_titles(chunked)
    assert cleaned.type == pa.string()
    assert cleaned.to_pylist() == _per_title(chunked.to_pylist())
    assert normalise_titles(pa.array([], pa.string())).to_pylist() == []


def _sample_movies() -> pd.DataFrame:
    basics = _sample_basics()
    ratings = pd.read_csv(BUNDLED_SAMPLE_DIR / "title.ratings.tsv.gz", **_READ_IMDB_TSV)
    movies = basics[(basics["titleType"] == "movie") & basics["primaryTitle"].notna() & basics["genres"].notna()]
    movies = movies.merge(ratings, on="tconst")
    movies["averageRating"] = movies["averageRating"].astype(float)
    return movies


@pytest.mark.parametrize("text_dtype", [object, ARROW_STRING], ids=["object", "arrow"])
def test_prepare_features_cleans_titles_and_genres_as_the_per_value_path(text_dtype):
    movies = _sample_movies().astype({"primaryTitle": text_dtype, "genres": text_dtype})
    features = prepare_features(movies)
    assert len(features) == len(movies) > 1_000
    assert features["title_clean"].dtype == ARROW_STRING
    assert features["title_clean"].tolist() == _per_title(movies["primaryTitle"].tolist())
    assert features["genres"].tolist() == [",".join(split_genres(genres)) for genres in movies["genres"]]


def test_prepare_features_cleans_a_missing_title_as_before():
    # The per-title path saw pandas' NA ("<NA>" -> "na"); the vectorised path keeps that, not None's "none".
    movies = pd.DataFrame(
        {
            "tconst": ["tt0000001", "tt0000002", "tt0000003"],
            "primaryTitle": pd.array(["Rocky II", None, "Rocky II"], dtype=ARROW_STRING),
            "genres": ["Drama", "Comedy", "Drama"],
            "averageRating": [7.0, 4.0, 7.0],
        }
    )
    features = prepare_features(movies)
    titles = movies["primaryTitle"].astype(ARROW_STRING)
    assert features["title_clean"].tolist() == [normalise_title(title) for title in titles]
    assert features["title_clean"].tolist() == ["rocky 2", "na", "rocky 2"]


def test_prepare_features_passes_a_missing_genre_list_on_as_before():
    # The contract forbids missing genres; should one slip in, split_genres still gets pandas' NA (and
    # refuses it), not the None that Arrow's to_pylist gives (which would quietly become "no genres").
    movies = pd.DataFrame(
        {
            "tconst": ["tt0000001", "tt0000002"],
            "primaryTitle": ["Heat", "Up"],
            "genres": pd.array(["Drama", None], dtype=ARROW_STRING),
            "averageRating": [7.0, 4.0],
        }
    )
    with pytest.raises(TypeError, match="NAType"):
        split_genres(pd.NA)
    with pytest.raises(TypeError, match="NAType"):
        prepare_features(movies)
