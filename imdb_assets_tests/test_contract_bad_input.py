"""Upstream schema changes and broken IMDb files: each fails the run with one line naming the file, the
column and an example row, and leaves every earlier output and dataset version exactly as it was."""

from pathlib import Path

import pytest

from imdb_assets.errors import DataError
from imdb_assets.ingest.imdb_files import stage_snapshot
from imdb_assets_tests.bad_snapshots import BAD_CASES
from imdb_assets_tests.dataset_helpers import cli, fingerprint


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_snapshot_fails_in_one_line_and_keeps_every_output(case: str, home_copy: Path, tmp_path: Path, capsys):
    bad_source = tmp_path / "bad"
    bad_source.mkdir()
    BAD_CASES[case].write(bad_source)
    before = fingerprint(home_copy)

    code, _, err = cli(capsys, "run", "--source", str(bad_source), "--snapshot-date", "2026-11-02")

    assert code == 1
    error = err.strip().splitlines()[-1]
    assert error.startswith("imdb-assets run: error: raw_imdb_tables: "), error
    for word in BAD_CASES[case].expected_words:
        assert word in error, f"{word!r} not in: {error}"
    assert len(error) <= 300 and len(err.strip().splitlines()) <= 8  # one error line, input cut, plus step lines
    assert fingerprint(home_copy) == before


def test_a_valid_snapshot_passes_the_same_checks(tmp_path: Path, sample_dir: Path):
    staged = stage_snapshot(str(sample_dir), tmp_path)
    assert all(s.rows > 0 and s.parquet_path.exists() for s in staged.values())


def test_truncated_gzip_is_found_by_duckdb_not_the_header_read(tmp_path: Path):
    # The header decompresses fine: the cut is found while DuckDB parses, far into the stream.
    BAD_CASES["truncated_gzip"].write(tmp_path)
    with pytest.raises(DataError, match=r"the data ends after line [\d,]{6,}"):
        stage_snapshot(str(tmp_path), tmp_path / "work")


def test_a_row_longer_than_any_reader_takes_is_named_not_skipped(tmp_path: Path):
    # pyarrow gives up on a 20 MB row and DuckDB would skip it without a word: the row is named instead.
    from imdb_assets_tests.bad_snapshots import good_basics, good_ratings
    from imdb_assets_tests.imdb_files import BASICS_HEADER, RATINGS_HEADER, write_tsv_gz

    basics = good_basics()
    basics[2][3] = "B" * 20_000_000  # originalTitle
    write_tsv_gz(tmp_path / "title.basics.tsv.gz", BASICS_HEADER, basics)
    write_tsv_gz(tmp_path / "title.ratings.tsv.gz", RATINGS_HEADER, good_ratings())
    with pytest.raises(DataError) as raised:
        stage_snapshot(str(tmp_path), tmp_path / "work")
    message = str(raised.value)
    assert message.startswith("title.basics.tsv.gz: line 4 is 20,000,")
    assert "column originalTitle" in message and "tconst=tt0000003" in message and len(message) < 600
