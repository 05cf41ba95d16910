"""The layout holds: the shared floor imports no area, and only the settings modules read the environment.

Read from the source with `ast` (nothing is imported), every import counted, also those inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "imdb_assets"
PACKAGE_DIR = Path(__file__).resolve().parent.parent / PACKAGE

# The areas, in data order: each owns its assets, resources and handles, and may use the floor.
AREAS = ("ingest", "transform", "dataset", "features", "model", "serving", "monitoring", "automation")
# Above the areas: they assemble them (definitions, environments) or are entry points into them.
ABOVE = (
    "definitions",
    "environments",
    "prod_settings",  # the prod half of the environment module
    "model_store_for_env",  # the environment's model store for the commands, without Dagster
    "pipeline_run",
    "cli",
    "synth",
)
# Everything else under imdb_assets/ is the floor: resources/, contracts/, settings.py, files.py, ...

# Modules that may read `os.environ` / `os.getenv` besides the settings modules, and why.
ENVIRON_ALLOWED = {
    "imdb_assets": "sets NUMPY_MADVISE_HUGEPAGE before numpy is first imported",
    "imdb_assets.settings": "the reader of every setting",
    "imdb_assets.prod_settings": "the reader of the prod variables, checked once",
    "imdb_assets.env_vars": "sets and restores variables for a subprocess's environment",
    "imdb_assets.parent_death": "a child learns its parent's pid from the environment its parent gave it",
    "imdb_assets.automation.devserver": "sets DAGSTER_HOME and PATH for the `dagster dev` it starts",
    "imdb_assets.dataset.repository": "DVC is configured through its own variables (analytics, site cache)",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py")) if "sample" not in path.parts}


def imports_in(source: str, name: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, absolute module) of every `imdb_assets` import in module `name`'s source, relative ones
    resolved, those inside functions included."""
    here = name if is_package else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(here.split(".")[: len(here.split(".")) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # `from imdb_assets.x import y` may import a module y: count it too.
            named = (f"{module}.{alias.name}" for alias in node.names)
            found += [(node.lineno, submodule) for submodule in named if submodule in MODULES]
    return [(line, module) for line, module in found if module == PACKAGE or module.startswith(PACKAGE + ".")]


def imported_modules(name: str) -> list[tuple[int, str]]:
    return imports_in(MODULES[name].read_text(), name, MODULES[name].name == "__init__.py")


def layer_of(name: str) -> str:
    """'area', 'above' or 'floor' for a module named `imdb_assets.<first>...`."""
    first = name.split(".")[1] if "." in name else ""
    if first in AREAS:
        return "area"
    if first in ABOVE:
        return "above"
    return "floor"


FLOOR_MODULES = [name for name in MODULES if layer_of(name) == "floor"]


def test_the_layers_name_existing_folders_and_modules():
    tops = {name.split(".")[1] for name in MODULES if "." in name}
    assert set(AREAS) | set(ABOVE) <= tops
    assert "imdb_assets.resources.warehouse" in FLOOR_MODULES and "imdb_assets.settings" in FLOOR_MODULES


@pytest.mark.parametrize("name", FLOOR_MODULES)
def test_the_floor_imports_no_area(name: str):
    wrong = [f"{MODULES[name].relative_to(PACKAGE_DIR.parent)}:{line} imports {module} ({layer_of(module)})"
             for line, module in imported_modules(name) if layer_of(module) != "floor"]
    assert not wrong, f"{name} is on the floor and may import only the floor:\n" + "\n".join(wrong)


AREA_MODULES = [name for name in MODULES if layer_of(name) == "area"]


@pytest.mark.parametrize("name", AREA_MODULES)
def test_an_area_imports_no_area_after_it_in_data_order(name: str):
    # Data flows ingest -> ... -> serving -> monitoring; code may lean on what comes before it, never on
    # what is built from its output (the model scores through its own scorer, serving uses the model's).
    order = {area: index for index, area in enumerate(AREAS)}
    mine = name.split(".")[1]
    wrong = [
        f"{MODULES[name].relative_to(PACKAGE_DIR.parent)}:{line} imports {module}"
        for line, module in imported_modules(name)
        if layer_of(module) == "area" and order[module.split(".")[1]] > order[mine]
    ]
    assert not wrong, f"{name} is in {mine}/ and imports an area after it:\n" + "\n".join(wrong)


def environ_reads(name: str) -> list[tuple[int, str]]:
    """(line, expression) of each `os.environ`, `os.getenv`, `os.putenv` or `from os import environ|getenv`."""
    tree = ast.parse(MODULES[name].read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os":
            if node.attr in {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}:
                found.append((node.lineno, f"os.{node.attr}"))
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [(node.lineno, f"from os import {a.name}") for a in node.names if "env" in a.name]
    return found


@pytest.mark.parametrize("name", sorted(MODULES))
def test_only_the_settings_modules_read_the_environment(name: str):
    if name in ENVIRON_ALLOWED:
        return
    reads = environ_reads(name)
    assert not reads, (
        f"{name} reads the environment ({', '.join(f'line {line}: {expr}' for line, expr in reads)}): "
        "read settings in imdb_assets/settings.py (prod's in imdb_assets/prod_settings.py)"
    )


def test_every_allowed_environment_reader_still_reads_it():
    # An entry whose module no longer touches the environment would only widen the allow-list.
    assert [name for name in ENVIRON_ALLOWED if not environ_reads(name)] == []


def test_the_checker_sees_imports_inside_functions_and_relative_ones():
    source = "import json\n\ndef f():\n    from ..model import store\n    import imdb_assets.dataset.repository\n"
    found = imports_in(source, "imdb_assets.resources.lake")
    assert found == [(4, "imdb_assets.model"), (4, "imdb_assets.model.store"), (5, "imdb_assets.dataset.repository")]
    assert {layer_of(module) for _, module in found} == {"area"}
    assert imports_in("from . import lake\n", "imdb_assets.resources", is_package=True) == [
        (1, "imdb_assets.resources"), (1, "imdb_assets.resources.lake")
    ]
