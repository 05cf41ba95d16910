"""The CLI as people meet it: every command's --help explains it and shows examples that parse;
`dataset list` answers without loading the asset graph."""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from imdb_assets.cli import build_parser, dataset, main

COMMANDS = [
    ("predict",),
    ("serve",),
    ("model",),
    ("model", "list"),
    ("model", "show"),
    ("model", "history"),
    ("model", "promote"),
    ("dataset",),
    ("dataset", "list"),
    ("dataset", "checkout"),
    ("synth",),
]


def subparser(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> argparse.ArgumentParser:
    for name in path:
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = commands.choices[name]
    return parser


def example_lines(parser: argparse.ArgumentParser) -> list[str]:
    heading, *lines = (parser.epilog or "").splitlines()
    assert heading == "examples:"
    return [line.strip() for line in lines if line.strip().startswith("imdb-assets ")]


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_help_has_a_description_examples_and_help_on_every_flag(path: tuple[str, ...]):
    parser = subparser(build_parser(), path)
    assert parser.description and len(parser.description.split()) >= 12, "a description of a few sentences"
    examples = example_lines(parser)
    assert any(line.startswith(" ".join(["imdb-assets", *path])) for line in examples), examples
    for action in parser._actions:
        # A group of sub-commands: each one's line in the list is its help.
        helped = action._choices_actions if isinstance(action, argparse._SubParsersAction) else [action]
        for item in helped:
            assert item.help and item.help != argparse.SUPPRESS, f"{item.dest} has no help"
    shown = parser.format_help()
    assert "examples:" in shown and " ".join(parser.description.split()[:6]) in " ".join(shown.split())


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_example_parses(path: tuple[str, ...]):
    for line in example_lines(subparser(build_parser(), path)):
        words = shlex.split(line)[1:]
        args = build_parser().parse_args(words)  # SystemExit here is an example that does not run
        assert callable(args.handler), line


def test_help_is_printed_with_the_examples(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["predict", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "--allow-unknown-genres" in out and "examples:\n  imdb-assets predict --title" in out


def test_dataset_list_reads_the_registry_of_the_environments_repository(imdb_home: Path):
    from imdb_assets.dataset.layout import MOVIES_CSV_PATH
    from imdb_assets.environments import resources_for_env

    assert dataset.MOVIES_CSV_PATH == MOVIES_CSV_PATH
    assert dataset._registry().path == resources_for_env()["dataset_repository"].registry(MOVIES_CSV_PATH).path


PROD = {
    "IMDB_ASSETS_ENV": "prod",
    "IMDB_ASSETS_GCP_PROJECT": "imdb-prod",
    "IMDB_ASSETS_LAKE_URL": "gs://imdb-prod-lake/lake",
    "IMDB_ASSETS_DVC_REMOTE_URL": "gs://imdb-prod-dvc",
    "IMDB_ASSETS_MODEL_STORE_URL": "gs://imdb-prod-models/models",
    "IMDB_ASSETS_IO_URL": "gs://imdb-prod-io/dagster",
}


def test_dataset_list_reads_the_prod_repositorys_registry_too(imdb_home: Path, monkeypatch: pytest.MonkeyPatch):
    from imdb_assets.dataset.layout import MOVIES_CSV_PATH
    from imdb_assets.environments import resources_for_env

    for name, value in PROD.items():
        monkeypatch.setenv(name, value)
    assert dataset._registry().path == resources_for_env()["dataset_repository"].registry(MOVIES_CSV_PATH).path


def test_dataset_list_on_an_empty_home_imports_no_dagster(tmp_path: Path):
    code = (
        "import json, sys\n"
        "from imdb_assets.cli import main\n"
        "assert main(['dataset', 'list']) == 0\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('dagster', 'dagster_dbt', 'dbt', 'dvc', 'duckdb'))))\n"
    )
    env = {"IMDB_ASSETS_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    first, last = result.stdout.splitlines()[0], result.stdout.splitlines()[-1]
    assert first == "no dataset version published yet (run `imdb-assets run`)"
    assert json.loads(last) == []
