"""Dagster's private modules that deploy/render.py relies on still exist, with the names and methods it
uses: an upgrade that moves one fails here, naming it, rather than deep inside a render."""

from __future__ import annotations

import ast
import importlib

import pytest

from imdb_assets.settings import REPO_DIR

RENDER_TOOL = REPO_DIR / "deploy" / "render.py"

# module -> name -> the attributes of it the tool calls (empty: the name itself is enough).
PRIVATE_APIS = {
    "dagster._cli.api": {"ExecuteRunArgs": ("get_command_args",)},
    "dagster._config": {"process_config": ()},
    "dagster._core.code_pointer": {"ModuleCodePointer": ()},
    "dagster._core.instance.ref": {"InstanceRef": ("from_dir",)},
    "dagster._core.origin": {"JobPythonOrigin": (), "RepositoryPythonOrigin": ()},
    "dagster._core.storage.dagster_run": {"DagsterRun": ()},
}


def private_imports(path) -> dict[str, set[str]]:
    """module -> names of every `from dagster._... import ...` in a file (functions included)."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dagster._"):
            found.setdefault(node.module, set()).update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            assert not [a.name for a in node.names if a.name.startswith("dagster._")], "import them by name"
    return found


def test_the_list_is_what_the_render_tool_imports():
    # A private import added to (or dropped from) the tool without this list would go unchecked.
    assert private_imports(RENDER_TOOL) == {module: set(names) for module, names in PRIVATE_APIS.items()}


def test_no_other_module_imports_a_private_dagster_module():
    files = [*(REPO_DIR / "imdb_assets").rglob("*.py"), *(REPO_DIR / "imdb_assets_tests").glob("*.py")]
    assert [str(f.relative_to(REPO_DIR)) for f in files if private_imports(f)] == []


@pytest.mark.parametrize("module", sorted(PRIVATE_APIS))
def test_each_private_module_still_has_what_the_tool_uses(module: str):
    try:
        imported = importlib.import_module(module)
    except ImportError as exc:
        pytest.fail(f"private module {module} is gone after a dagster upgrade ({exc}); deploy/render.py needs it")
    for name, attributes in PRIVATE_APIS[module].items():
        assert hasattr(imported, name), f"{module}.{name} is gone after a dagster upgrade; deploy/render.py imports it"
        for attribute in attributes:
            assert hasattr(getattr(imported, name), attribute), (
                f"{module}.{name}.{attribute} is gone after a dagster upgrade; deploy/render.py calls it"
            )


def test_a_missing_module_or_name_fails_naming_it(monkeypatch: pytest.MonkeyPatch):
    """The check itself: a vanished name is reported with its module."""
    monkeypatch.setitem(PRIVATE_APIS, "dagster._config", {"no_such_function": ()})
    with pytest.raises(AssertionError, match=r"dagster\._config\.no_such_function is gone"):
        test_each_private_module_still_has_what_the_tool_uses("dagster._config")
    monkeypatch.setitem(PRIVATE_APIS, "dagster._no_such_module", {})
    with pytest.raises(pytest.fail.Exception, match=r"private module dagster\._no_such_module is gone"):
        test_each_private_module_still_has_what_the_tool_uses("dagster._no_such_module")
