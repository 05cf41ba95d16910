"""`imdb-assets synth`: a snapshot folder the pipeline loads, its manifest, its next day, clear errors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb
import pytest

from imdb_assets.cli import main as imdb_assets_main
from imdb_assets.cli import synth
from imdb_assets.settings import LocalPaths

BASICS, RATINGS = "title.basics.tsv.gz", "title.ratings.tsv.gz"


def synth_cli(*args: str) -> int:
    """`imdb-assets synth ...` through the module's own `register`, as the CLI package wires it."""
    parser = argparse.ArgumentParser(prog="imdb-assets")
    synth.register(parser.add_subparsers(dest="command", required=True))
    parsed = parser.parse_args(["synth", *args])
    return parsed.handler(parsed)


def test_fresh_snapshot_records_its_date_and_loads(tmp_path: Path, imdb_home: Path, capsys):
    out = tmp_path / "day1"
    assert synth_cli("--out", str(out), "--titles", "3000", "--seed", "4", "--snapshot-date", "2026-11-01") == 0
    printed = capsys.readouterr().out
    assert "3,000 titles" in printed
    assert f"imdb-assets run --source {out} --snapshot-date 2026-11-01" in printed
    assert sorted(p.name for p in out.iterdir()) == sorted([BASICS, RATINGS, synth.MANIFEST_FILE])
    manifest = synth.read_manifest(out)
    assert manifest["snapshot_date"] == "2026-11-01" and manifest["kind"] == "fresh" and manifest["seed"] == 4
    assert manifest["titles"] == 3000 and 0 < manifest["rated_movies"] < manifest["ratings"] < 3000
    assert manifest["files"][BASICS]["bytes"] == (out / BASICS).stat().st_size

    # The folder is a valid source: the real ingest takes it for the recorded date, every title loaded.
    assert (
        imdb_assets_main(["ingest", "--source", str(out), "--snapshot-date", manifest["snapshot_date"], "--json"]) == 0
    )
    loaded = json.loads(capsys.readouterr().out)
    assert loaded["rows"] == {BASICS: 3000, RATINGS: manifest["ratings"]}
    with duckdb.connect(str(LocalPaths(imdb_home).warehouse), read_only=True) as con:
        assert con.execute("SELECT DISTINCT snapshot_date::VARCHAR FROM raw.title_basics").fetchall() == [
            ("2026-11-01",)
        ]


def test_next_day_defaults_to_the_following_date(tmp_path: Path, capsys):
    day1, day2 = tmp_path / "day1", tmp_path / "day2"
    assert synth_cli("--out", str(day1), "--titles", "2000", "--snapshot-date", "2026-11-30") == 0
    assert synth_cli("--out", str(day2), "--from-snapshot", str(day1), "--change-rate", "0.1", "--json") == 0
    answer = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert answer["out"] == str(day2.resolve())
    assert answer["snapshot_date"] == "2026-12-01"  # the day after the parent's, across a month end
    assert answer["kind"] == "next_day" and answer["change_rate"] == 0.1
    assert answer["from_snapshot_date"] == "2026-11-30" and answer["from_snapshot"] == str(day1.resolve())
    assert answer["titles"] == 2100  # change_rate / 2 new titles
    assert synth.read_manifest(day2) == {k: v for k, v in answer.items() if k != "out"}

    # In place, with an explicit date: the folder becomes the next day, its manifest follows.
    assert synth_cli("--out", str(day2), "--from-snapshot", str(day2), "--snapshot-date", "2026-12-05") == 0
    manifest = synth.read_manifest(day2)
    assert manifest["snapshot_date"] == "2026-12-05" and manifest["from_snapshot_date"] == "2026-12-01"
    assert manifest["titles"] == 2100 + round(0.005 * 2100)


def test_a_folder_without_manifest_gives_no_date(tmp_path: Path):
    day1 = tmp_path / "day1"
    assert synth_cli("--out", str(day1), "--titles", "500") == 0
    assert synth.read_manifest(day1)["snapshot_date"] is None
    (day1 / synth.MANIFEST_FILE).unlink()  # e.g. IMDb's own files
    assert synth_cli("--out", str(tmp_path / "day2"), "--from-snapshot", str(day1)) == 0
    assert synth.read_manifest(tmp_path / "day2")["snapshot_date"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--change-rate", "0.1"], "--change-rate needs --from-snapshot"),
        (["--from-snapshot", "{missing}"], "--from-snapshot needs a folder holding title.basics.tsv.gz"),
        (["--from-snapshot", "{day1}", "--titles", "10"], "--titles is for a fresh snapshot"),
    ],
)
def test_bad_combinations_fail_in_one_line_and_write_nothing(tmp_path: Path, capsys, args, message):
    day1 = tmp_path / "day1"
    assert synth_cli("--out", str(day1), "--titles", "200") == 0
    capsys.readouterr()
    out = tmp_path / "out"
    filled = [a.format(missing=tmp_path / "missing", day1=day1) for a in args]
    assert synth.main(["--out", str(out), *filled]) == 1
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and message in error and error.startswith("imdb-assets synth: error:")
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"), [(["--titles", "0"], "must be at least 1"), (["--change-rate", "2"], "not within [0, 1]")]
)
def test_bad_values_are_refused_by_the_parser(tmp_path: Path, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        synth_cli("--out", str(tmp_path / "x"), *args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
