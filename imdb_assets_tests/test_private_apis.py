"""The private APIs imdb_assets/private_apis.py relies on are still there and still used the same way: an
upgrade that renames, removes or stops calling one fails here, naming the dependency, its version and
what to change, rather than quietly bringing back the cost the override removes."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

import pytest
from dagster_dbt import DbtCliInvocation, DbtCliResource
from packaging.version import Version

from imdb_assets import private_apis
from imdb_assets.private_apis import DBT_CLI_ADAPTER_MEMBER, DBT_CLI_VERSION_MEMBER, DbtCliWithoutStartupProbes
from imdb_assets.settings import REPO_DIR
from imdb_assets.transform.project import SubprocessOnlyDbtResource, dbt_resource

DAGSTER_DBT = f"dagster-dbt {version('dagster-dbt')}"
WHAT_TO_CHANGE = (
    "update DbtCliWithoutStartupProbes in imdb_assets/private_apis.py to override what DbtCliResource.cli "
    "now calls (or drop the override if a public option now skips the version probe and the adapter), "
    "and the README's 'Private APIs we depend on'"
)
PRIVATE_MEMBERS = (DBT_CLI_VERSION_MEMBER, DBT_CLI_ADAPTER_MEMBER)


def _upstream(name: str):
    for cls in DbtCliResource.__mro__:
        if name in cls.__dict__:
            return cls.__dict__[name]
    return None


@pytest.mark.parametrize("name", PRIVATE_MEMBERS)
def test_dbt_cli_resource_still_has_the_members_we_override(name):
    assert _upstream(name) is not None, f"{DAGSTER_DBT}: DbtCliResource.{name} is gone; {WHAT_TO_CHANGE}"


def test_the_members_keep_the_shape_we_override():
    version_member = _upstream(DBT_CLI_VERSION_MEMBER)
    assert isinstance(version_member, cached_property), (
        f"{DAGSTER_DBT}: DbtCliResource.{DBT_CLI_VERSION_MEMBER} is no longer a cached_property "
        f"(now {type(version_member).__name__}); {WHAT_TO_CHANGE}"
    )
    adapter_member = _upstream(DBT_CLI_ADAPTER_MEMBER)
    parameters = list(inspect.signature(adapter_member).parameters) if callable(adapter_member) else None
    assert parameters == ["self", "args"], (
        f"{DAGSTER_DBT}: DbtCliResource.{DBT_CLI_ADAPTER_MEMBER} now takes {parameters}, not (self, args); "
        f"{WHAT_TO_CHANGE}"
    )


@pytest.mark.parametrize("call", [f"self.{DBT_CLI_VERSION_MEMBER}", f"self.{DBT_CLI_ADAPTER_MEMBER}("])
def test_cli_still_calls_them(call):
    source = inspect.getsource(DbtCliResource.cli)
    assert call in source, f"{DAGSTER_DBT}: DbtCliResource.cli no longer calls `{call}`; {WHAT_TO_CHANGE}"


def test_a_dbt_command_starts_no_version_probe_and_no_adapter(monkeypatch, tmp_path):
    """What the override is for, end to end: `cli()` starts no subprocess before dbt itself (the
    `dbt --version` probe) and hands dbt's invocation no in-process adapter."""
    started: list = []
    handed: dict = {}

    def no_subprocess(args, *_, **__):
        started.append(args)
        raise AssertionError(f"{DAGSTER_DBT}: cli() started {args} before dbt (a version probe?); {WHAT_TO_CHANGE}")

    def capture(cls, **kwargs):
        handed.update(kwargs)
        return "invocation"

    monkeypatch.setattr(subprocess, "Popen", no_subprocess)
    monkeypatch.setattr(DbtCliInvocation, "run", classmethod(capture))
    resource = dbt_resource(target="local")
    if Path(resource.dbt_executable).parent != Path(sys.executable).parent:
        pytest.skip("dbt is not installed beside this Python: its version is asked of it")
    assert isinstance(resource, DbtCliWithoutStartupProbes)

    assert resource.cli(["parse"], target_path=tmp_path) == "invocation"
    assert not started, f"{DAGSTER_DBT}: cli() ran {started} before dbt (a version probe?); {WHAT_TO_CHANGE}"
    assert handed.get("adapter", "missing") is None, (
        f"{DAGSTER_DBT}: cli() built a dbt adapter in process ({handed.get('adapter', 'missing')!r}); "
        f"{WHAT_TO_CHANGE}"
    )
    assert handed["cli_version"] == Version(version("dbt-core"))


def test_the_resource_runs_through_the_override():
    assert issubclass(SubprocessOnlyDbtResource, DbtCliWithoutStartupProbes)


def test_no_other_module_uses_those_private_members():
    """One module holds the private uses: a new one goes there, with its reason and its check here."""
    private_module = Path(private_apis.__file__).resolve()
    members = (*PRIVATE_MEMBERS, "_tfidf", "_limit_features", "_run_exitfuncs")
    pattern = re.compile(rf"\.({'|'.join(members)})\b")
    found = [
        f"{path.relative_to(REPO_DIR)}: {match.group(0)}"
        for path in sorted((REPO_DIR / "imdb_assets").rglob("*.py"))
        if path.resolve() != private_module
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not found, f"private APIs used outside imdb_assets/private_apis.py: {found}"
