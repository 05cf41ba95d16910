"""After `imdb-assets run`, nothing under the home is writable by others, and what is published is 0644."""

import stat
from pathlib import Path

from imdb_assets.settings import LocalPaths


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_no_path_under_a_built_home_is_world_writable(built_home: Path):
    everything = [built_home, *built_home.rglob("*")]
    writable = [f"{oct(mode_of(p))} {p.relative_to(built_home)}" for p in everything if mode_of(p) & stat.S_IWOTH]
    assert writable == []


def test_the_site_cache_dvc_makes_is_0755(built_home: Path):
    site_cache = LocalPaths(built_home).data_dir / ".dvc" / "site-cache"
    assert mode_of(site_cache) == mode_of(site_cache / "repo") == 0o755


def test_published_files_are_readable_by_all_and_writable_by_the_owner_only(built_home: Path):
    paths = LocalPaths(built_home)
    csv = paths.movies_csv
    lake_objects = [p for p in paths.lake.rglob("*") if p.is_file()]
    published = [
        csv,
        csv.with_name(csv.name + ".dvc"),
        csv.with_name(csv.name + ".versions.jsonl"),
        *lake_objects,
        *paths.features_dir.rglob("*.parquet"),
    ]
    assert len(lake_objects) >= 2  # the CSV and its Parquet copy
    assert {str(p.relative_to(built_home)): oct(mode_of(p)) for p in published} == {
        str(p.relative_to(built_home)): "0o644" for p in published
    }
