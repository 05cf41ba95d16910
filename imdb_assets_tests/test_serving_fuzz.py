"""Schemathesis fuzzes the live API from its own OpenAPI schema: no 5xx, and every other check it has.

Run through schemathesis' own CLI: its pytest integration relies on a pytest internal (`_nodeid`)
that pytest 9 no longer has.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from imdb_assets_tests.serving_fixtures import running_server

EXAMPLES_PER_OPERATION = 60  # ~170 requests in ~15 s: bounded well under a minute on 2 busy cores


def test_fuzzing_the_api_from_its_schema_finds_no_failure(built_home: Path, tmp_path: Path):
    with running_server(built_home, tmp_path, "--max-batch", "20") as server:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "run",
                f"{server.base_url}/openapi.json",
                "--checks",
                "all",  # not_a_server_error, schema conformance, valid data accepted, invalid refused, ...
                "--max-examples",
                str(EXAMPLES_PER_OPERATION),
                "--workers",
                "1",
                "--no-color",
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,  # schemathesis may write a cache/report folder
        )
        server_log = server.log()
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout
    assert " 0 passed" not in result.stdout and "generated" in result.stdout
    assert "Traceback" not in server_log, server_log
