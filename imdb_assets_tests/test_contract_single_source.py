"""One pandera model per table boundary is the only list of columns: the warehouse tables, the CSV and
the features have exactly the contract's columns, and no Python module spells out a column list of its own."""

import ast
import re
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pytest

from imdb_assets.contracts.features import MovieFeatures
from imdb_assets.contracts.movies import FilteredMovies, movie_columns, read_movies_csv
from imdb_assets.contracts.raw_imdb import RAW_FILES
from imdb_assets.contracts.sql_checks import rules
from imdb_assets.resources.warehouse import raw_table_name
from imdb_assets.settings import PACKAGE_DIR, LocalPaths

CONTRACTS: list[type[pa.DataFrameModel]] = [*RAW_FILES.values(), FilteredMovies, MovieFeatures]
# Modules allowed to name columns in lists: the contracts themselves, and the synthetic generator, which
# plays IMDb (the upstream) and so must not borrow our idea of IMDb's format.
EXEMPT = ("contracts/", "synth/")


def table_columns(home: Path, table: str) -> list[str]:
    with duckdb.connect(str(LocalPaths(home).warehouse), read_only=True) as con:
        return [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]


def test_the_dbt_model_has_exactly_the_contracts_columns(built_home: Path):
    assert table_columns(built_home, "main.filtered_movies_incremental") == movie_columns()


def test_raw_tables_have_exactly_the_contracts_columns(built_home: Path):
    for file_name, model in RAW_FILES.items():
        assert table_columns(built_home, f"raw.{raw_table_name(file_name)}") == ["snapshot_date", *model.to_schema().columns]


def test_csv_and_features_have_exactly_the_contracts_columns(built_home: Path):
    paths = LocalPaths(built_home)
    movies = read_movies_csv(paths.movies_csv)
    assert list(movies.columns) == movie_columns()
    FilteredMovies.validate(movies)
    features = pd.read_parquet(paths.features_dir / "movie_features.parquet")
    assert list(features.columns) == list(MovieFeatures.to_schema().columns)


@pytest.mark.parametrize("model", CONTRACTS, ids=lambda m: m.__name__)
def test_every_rule_of_every_contract_has_a_sql_translation(model):
    # `rules` raises on a check kind it cannot translate, so a new rule can't be silently skipped in DuckDB.
    assert rules(model)


def column_lists_outside_contracts() -> list[str]:
    """Places in the package that spell out 3+ columns of one contract: list/tuple/set literals of
    column names, or a SQL string naming them."""
    columns_of = [set(m.to_schema().columns) for m in CONTRACTS]
    found = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        relative = path.relative_to(PACKAGE_DIR).as_posix()
        if relative.startswith(EXEMPT):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
                names = {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(r"(?i)\bselect\b", node.value):
                names = set(re.findall(r"[A-Za-z_]+", node.value))  # a SQL column list
            else:
                continue
            if any(len(names & columns) >= 3 for columns in columns_of):
                found.append(f"{relative}:{node.lineno}")
    return found


def test_no_module_relists_a_contracts_columns():
    assert column_lists_outside_contracts() == []


def test_the_validated_csv_reads_back_exactly_as_written(tmp_path: Path):
    # Titles IMDb really has that a CSV reader may mangle: "NA" and "null" are titles, not missing values;
    # commas, quotes and line breaks stay inside their field; only an empty field is null.
    from imdb_assets.dataset.validate import validate_movies, write_movies_csv

    titles = ["NA", "null", 'Say "Hi", Bob', "Two\nLines", "N/A"]
    written = pd.DataFrame(
        {
            "tconst": [f"tt{i:07d}" for i in range(len(titles))],
            "primaryTitle": titles,
            "originalTitle": [None, "nan", "", "x", "None"],
            "isAdult": pd.array([0, 1, 0, 0, 0], dtype="Int64"),
            "startYear": pd.array([1999, None, 2001, 2002, 2003], dtype="Int64"),
            "endYear": pd.array([None] * 5, dtype="Int64"),
            "runtimeMinutes": pd.array([90, 0, None, 1, 2], dtype="Int64"),
            "genres": ["Drama", "Comedy,Drama", "Horror", "Drama", "Drama"],
            "averageRating": [5.0, 1.0, 10.0, 7.3, 4.9],
            "numVotes": pd.array([10, 0, 5, 6, 7], dtype="Int64"),
            "last_modified": ["2026-11-01"] * 5,
        }
    )
    path = tmp_path / "movies.csv"
    write_movies_csv(validate_movies(pa_arrow.Table.from_pandas(written, preserve_index=False)), path)
    read = read_movies_csv(path)
    assert read["primaryTitle"].tolist() == titles
    assert read["originalTitle"].isna().tolist() == [True, False, True, False, False]  # "" was written as empty
    assert read["originalTitle"][[1, 3, 4]].tolist() == ["nan", "x", "None"]
    pd.testing.assert_frame_equal(read.drop(columns="originalTitle"), written.drop(columns="originalTitle"))
    arrow = read_movies_csv(path, columns=["tconst", "primaryTitle"], arrow_strings=True)
    assert arrow["primaryTitle"].dtype == pd.StringDtype("pyarrow") and arrow["primaryTitle"].tolist() == titles


def _movies(**columns) -> pa_arrow.Table:
    rows = {
        "tconst": ["tt0000001", "tt0000002"],
        "primaryTitle": ["Alpha", "Beta"],
        "originalTitle": ["Alpha", None],
        "isAdult": [0, 0],
        "startYear": [1999, None],
        "endYear": [None, None],
        "runtimeMinutes": [90, None],
        "genres": ["Drama", "Comedy,Drama"],
        "averageRating": [5.0, 7.5],
        "numVotes": [10, 3],
        "last_modified": ["2026-11-01", "2026-11-02"],
    }
    rows.update(columns)
    return pa_arrow.Table.from_pydict(rows)


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        ({"tconst": ["tt0000001", "nm0000002"]}, "column tconst: 1 row(s) not matching"),
        ({"tconst": ["tt0000001", "tt0000001"]}, "column tconst: 1 duplicated value(s), e.g. tconst=tt0000001 appears 2 times"),
        ({"genres": ["Drama", "Drama,Cooking"]}, "holds a genre outside IMDb's vocabulary, e.g. tconst=tt0000002 genres='Drama,Cooking' (new: Cooking)"),
        ({"averageRating": [5.0, 11.0]}, "column averageRating: 1 row(s) outside [1.0, 10.0], e.g. tconst=tt0000002"),
        ({"primaryTitle": ["Alpha", ""]}, "column primaryTitle: 1 row(s) shorter than 1"),
        ({"numVotes": [10, None]}, "column numVotes: 1 row(s) null"),
    ],
)
def test_the_filtered_table_is_checked_against_its_contract_in_one_line(columns, expected):
    from imdb_assets.dataset.validate import validate_movies
    from imdb_assets.errors import DataError

    good = _movies()
    assert validate_movies(good).num_rows == 2
    FilteredMovies.validate(good.to_pandas())  # pandera itself agrees the good rows hold
    with pytest.raises(DataError) as raised:
        validate_movies(_movies(**columns))
    message = str(raised.value)
    assert message.startswith("filtered_movies_incremental: ") and expected in message and "\n" not in message
    with pytest.raises(pa.errors.SchemaErrors):  # and pandera finds the same rows bad
        FilteredMovies.validate(_movies(**columns).to_pandas(), lazy=True)


def test_the_filtered_table_must_have_the_contracts_columns_in_order():
    from imdb_assets.dataset.validate import validate_movies
    from imdb_assets.errors import DataError

    with pytest.raises(DataError, match="are not the contract's"):
        validate_movies(_movies().drop_columns(["endYear"]))
    with pytest.raises(DataError, match="no rows"):
        validate_movies(_movies().slice(0, 0))
