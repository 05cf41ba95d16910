"""The code location loads, shows every role with its lineage, and selection strings parse."""

import subprocess
import sys

from dagster import AssetKey, AssetSelection

from imdb_assets.definitions import defs

LINEAGE = [
    ("raw_title_basics", "filtered_movies_incremental"),
    ("raw_title_ratings", "filtered_movies_incremental"),
    ("filtered_movies_incremental", "movies_csv"),
    ("movies_csv", "movies_dataset"),
    ("movies_dataset", "movie_features"),
    ("movie_features", "enjoyment_model"),
]


def test_every_role_is_an_asset_with_its_upstream():
    graph = defs.resolve_asset_graph()
    for upstream, downstream in LINEAGE:
        assert AssetKey(upstream) in graph.get(AssetKey(downstream)).parent_keys, (upstream, downstream)


def test_every_asset_has_a_description_for_the_ui():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_materializable:
            assert node.description, f"{key.to_user_string()} has no description"


def test_selection_strings_parse_with_dvc_installed():
    # dvc pulls in hydra/antlr versions that break Dagster's selection parser unless pinned (STACK.md).
    selection = AssetSelection.from_string("key:movies_csv+")
    keys = selection.resolve(defs.resolve_asset_graph())
    assert AssetKey("enjoyment_model") in keys and AssetKey("raw_title_basics") not in keys


def test_dagster_cli_lists_the_assets():
    out = subprocess.run(
        [sys.executable, "-m", "dagster", "asset", "list", "-m", "imdb_assets.definitions", "--select", "key:movies_csv+"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "enjoyment_model" in out.stdout and "raw_title_basics" not in out.stdout
