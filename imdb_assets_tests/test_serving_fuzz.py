"""The live API fuzzed two ways: schemathesis from its own OpenAPI schema (no 5xx, and every other check
it has), and hypothesis with bodies no schema describes (hostile JSON and raw bytes): never a 5xx,
every refusal a one-line JSON error.

Schemathesis runs through its own CLI: its pytest integration relies on a pytest internal (`_nodeid`)
that pytest 9 no longer has.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# JSON texts a schema never generates: past Python's int limit, not JSON at all (NaN, Infinity), past
# double range, lone surrogates, NUL, deep nesting, long strings and keys.
HOSTILE_TOKENS = [
    "1" * 5000, "-" + "9" * 4301, "NaN", "Infinity", "-Infinity", "1e999999", "-0.0e-99999", '"\\ud800"',
    '"\\u0000"', "[" * 5000 + "]" * 5000, '{"a":' * 3000 + "1" + "}" * 3000, '"' + "x" * 100_000 + '"',
    "[" * 50_000, '{"' + "k" * 50_000 + '": 1}', "true false", "",
]  # fmt: skip


class Raw(str):
    """A JSON text written into a body as it is."""


def to_json(value) -> str:
    if isinstance(value, Raw):
        return value
    if isinstance(value, list):
        return "[" + ",".join(map(to_json, value)) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(key)}:{to_json(item)}" for key, item in value.items()) + "}"
    return json.dumps(value)  # floats: NaN and Infinity as Python writes them


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=40)
    | st.sampled_from(HOSTILE_TOKENS).map(Raw),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
items = st.fixed_dictionaries({"title": json_values}, optional={"genres": json_values, "extra": json_values})
json_texts = st.one_of(json_values, items, st.lists(items, max_size=4)).map(to_json)
json_bodies = json_texts.map(lambda text: text.encode("utf-8", "surrogatepass"))  # lone surrogates too
cut_bodies = st.tuples(json_bodies, st.integers(min_value=0, max_value=200)).map(lambda pair: pair[0][: pair[1]])
spliced_bodies = st.tuples(json_bodies, st.binary(min_size=1, max_size=4), st.integers(min_value=0, max_value=100)).map(
    lambda parts: parts[0][: parts[2]] + parts[1] + parts[0][parts[2] :]
)
bodies = st.one_of(json_bodies, cut_bodies, spliced_bodies, st.binary(max_size=300))
CONTENT_TYPES = [
    "application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "",
]  # fmt: skip


@pytest.fixture(scope="module")
def client(built_home: Path, tmp_path_factory: pytest.TempPathFactory):
    serving = running_server(built_home, tmp_path_factory.mktemp("fuzz-logs"), "--max-batch", "20")
    with serving as server, server.client() as http:
        yield http
        assert "Traceback" not in server.log(), server.log()


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(body=bodies, path=st.sampled_from(["/predict", "/"]), content_type=st.sampled_from(CONTENT_TYPES))
def test_hostile_bodies_never_get_a_server_error(client: httpx.Client, body: bytes, path: str, content_type: str):
    response = client.post(path, content=body, headers={"content-type": content_type})
    assert response.status_code < 500, (body[:300], response.text[:300])
    if path == "/predict" and response.status_code != 200:
        assert response.status_code in (413, 422), response.text[:300]
        detail = response.json()["detail"]
        assert detail and "\n" not in detail and len(detail) <= 300, detail
