"""Processes that load the project turn off numpy's huge-page advice (imdb_assets/__init__.py), unless the
environment says otherwise. Each case is a fresh interpreter: numpy reads the setting once, at import."""

import os
import subprocess
import sys

import pytest

# numpy has no public getter for the setting; its private one is read here only, to see what numpy uses.
PROBE = "import imdb_assets, numpy._core.multiarray as m; print(m._get_madvise_hugepage())"


def _advice_in_child(env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    if env_value is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = env_value
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize(("env_value", "expected"), [(None, "False"), ("1", "True"), ("0", "False")])
def test_importing_the_project_sets_numpy_page_advice(env_value, expected):
    assert _advice_in_child(env_value) == expected


def test_numpy_alone_keeps_its_default_advice():
    """The probe can tell the two apart: without the project, numpy advises huge pages on this kernel."""
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    done = subprocess.run(
        [sys.executable, "-c", "import numpy._core.multiarray as m; print(m._get_madvise_hugepage())"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.strip() == "True", done.stderr
