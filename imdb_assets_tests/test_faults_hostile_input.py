"""Faults and hostile input, through the CLI and real loopback HTTP.

Whatever a request, an argument or a damaged model store holds, the CLI exits 1 with one short line
and the HTTP API answers a 4xx (or a 503 for a model it cannot serve) with a one-line JSON error:
never a traceback, never a 5xx for input, never a filesystem path in an answer.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx
import numpy as np
import pytest

from imdb_assets.cli import main
from imdb_assets.model.store import LocalModelStore
from imdb_assets.settings import LocalPaths
from imdb_assets_tests.serving_fixtures import running_server, wait_until

MAX_BATCH = 20
LINE_LIMIT = 300  # imdb_assets.errors.MAX_MESSAGE_CHARACTERS
FIELD_LIMIT = 80  # imdb_assets.serving.app.MAX_FIELD_CHARACTERS
CLI = [sys.executable, "-c", "import sys; from imdb_assets.cli import main; sys.exit(main())"]
HEAT = {"title": "Heat", "genres": ["Crime", "Drama"]}


def models_dir(home: Path) -> Path:
    return LocalPaths(home).models_dir


def champion_of(home: Path) -> str:
    version = LocalModelStore(models_dir(home)).champion_version()
    assert version, f"{home} has no champion"
    return version


def copy_home(built_home: Path, target: Path) -> Path:
    shutil.copytree(built_home, target, symlinks=True)
    return target


def assert_one_json_error_line(response: httpx.Response) -> None:
    body = response.json()
    assert set(body) == {"detail", "field"}, body
    assert body["detail"] and "\n" not in body["detail"] and len(body["detail"]) <= LINE_LIMIT, body
    assert body["field"] is None or ("\n" not in body["field"] and len(body["field"]) <= FIELD_LIMIT), body


def assert_one_error_line(code: int, out: str, err: str, *expected: str) -> str:
    """Exit 1, nothing on stdout, one stderr line `imdb-assets <command>: error: <message>` whose message
    is at most 300 characters (what the CLI's `main` cuts it to)."""
    assert code == 1 and out == "", (code, out, err[:2000])
    assert err.count("\n") == 1 and err.endswith("\n") and "Traceback" not in err, err[:2000]
    message = re.sub(r"^imdb-assets [a-z]+: error: ", "", err.strip())
    assert message != err.strip() and len(message) <= LINE_LIMIT, err
    for text in expected:
        assert text in err, err
    return message


def run_command(*args: str) -> subprocess.CompletedProcess:
    """`imdb-assets ...` in a process of its own: what a person sees on the terminal, tracebacks included."""
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, check=False)


def run_cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# ---- damaging a stored model ------------------------------------------------------------------------


def record_path(home: Path, version: str) -> Path:
    return models_dir(home) / version / "model.json"


def rewrite_record(home: Path, version: str, change: Callable[[dict], None]) -> None:
    record = json.loads(record_path(home, version).read_text())
    change(record)
    record_path(home, version).write_text(json.dumps(record))


def replace_artifact(home: Path, version: str, data: bytes) -> None:
    """Write `data` as the version's model.zip and rewrite its record to that sha256: damage the
    checksum cannot catch (the record was rewritten with the file)."""
    (models_dir(home) / version / "model.zip").write_bytes(data)
    rewrite_record(home, version, lambda record: record.update(sha256=hashlib.sha256(data).hexdigest()))


def zlib_damaged(artifact: bytes) -> bytes:
    """The artifact with one byte of spec.json's compressed data flipped so that inflating it fails
    (zlib.error, not a CRC mismatch: zipfile itself turns that into BadZipFile)."""
    with zipfile.ZipFile(io.BytesIO(artifact)) as archive:
        info = archive.getinfo("spec.json")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for position in range(start, start + info.compress_size):
        damaged = bytearray(artifact)
        damaged[position] ^= 0xFF
        try:
            with zipfile.ZipFile(io.BytesIO(bytes(damaged))) as archive:
                archive.read("spec.json")
        except zlib.error:
            return bytes(damaged)
        except zipfile.BadZipFile:
            continue
    raise AssertionError("no single flipped byte made inflating spec.json fail")


def _parts(artifact: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    with zipfile.ZipFile(io.BytesIO(artifact)) as archive:
        spec = json.loads(archive.read("spec.json"))
        with np.load(io.BytesIO(archive.read("arrays.npz"))) as npz:
            return spec, {key: npz[key] for key in npz.files}


def _zipped(spec_bytes: bytes, arrays_bytes: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("spec.json", spec_bytes)
        archive.writestr("arrays.npz", arrays_bytes)
    return out.getvalue()


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    out = io.BytesIO()
    np.savez(out, **arrays)
    return out.getvalue()


def with_spec(change: Callable[[dict], object]) -> Callable[[bytes], bytes]:
    def damage(artifact: bytes) -> bytes:
        spec, arrays = _parts(artifact)
        changed = change(spec)
        return _zipped(json.dumps(spec if changed is None else changed).encode(), _npz(arrays))

    return damage


def with_arrays(change: Callable[[dict], None]) -> Callable[[bytes], bytes]:
    def damage(artifact: bytes) -> bytes:
        spec, arrays = _parts(artifact)
        change(arrays)
        return _zipped(json.dumps(spec).encode(), _npz(arrays))

    return damage


def _one_array(artifact: bytes) -> bytes:
    spec, arrays = _parts(artifact)
    single = io.BytesIO()
    np.save(single, arrays["coef"])
    return _zipped(json.dumps(spec).encode(), single.getvalue())


def _set(target: dict, key: str, value) -> None:
    target[key] = value


DAMAGES: dict[str, Callable[[bytes], bytes]] = {
    "a flipped byte in the compressed data (zlib.error)": zlib_damaged,
    "cut in half": lambda artifact: artifact[: len(artifact) // 2],
    "not a zip file": lambda artifact: b"PK\x03\x04" + b"\x00" * 64,
    "spec.json not JSON": lambda artifact: _zipped(b'{"format": ', _npz(_parts(artifact)[1])),
    "spec.json nested too deeply": lambda artifact: _zipped(b"[" * 100_000, _npz(_parts(artifact)[1])),
    "spec.json a list": with_spec(lambda spec: [spec]),
    "arrays.npz a single array": _one_array,
    "coefficients as text": with_arrays(lambda arrays: _set(arrays, "coef", arrays["coef"].astype(str))),
    "coefficients NaN": with_arrays(lambda arrays: arrays["coef"].__setitem__(0, np.nan)),
    "coefficients a matrix": with_arrays(lambda arrays: _set(arrays, "coef", arrays["coef"].reshape(1, -1))),
    "idf weights too short": with_arrays(lambda arrays: _set(arrays, "idf_0", arrays["idf_0"][:-1])),
    "a block that is not an object": with_spec(lambda spec: spec["blocks"].__setitem__(0, "title_words")),
    "no blocks": with_spec(lambda spec: _set(spec, "blocks", [])),
    "an ngram_range that is a number": with_spec(lambda spec: _set(spec["blocks"][0]["params"], "ngram_range", 3)),
    "a token pattern that is no regex": with_spec(lambda spec: _set(spec["blocks"][0]["params"], "token_pattern", "(")),
    "an analyzer scikit-learn refuses": with_spec(lambda spec: _set(spec["blocks"][0]["params"], "analyzer", "x")),
    "an empty vocabulary": with_spec(lambda spec: _set(spec["blocks"][0], "vocabulary", [])),
    "two blocks of one name": with_spec(lambda spec: _set(spec["blocks"][1], "name", spec["blocks"][0]["name"])),
}


# ---- 4. damaged artifacts give one line ------------------------------------------------------------


def test_a_damaged_zip_whose_checksum_matches_gives_one_line_in_promote_and_predict(home_copy: Path):
    version = champion_of(home_copy)
    artifact = (models_dir(home_copy) / version / "model.zip").read_bytes()
    replace_artifact(home_copy, version, zlib_damaged(artifact))
    expected = (version, "model.zip", "zlib.error")

    predict = run_command("predict", "--title", "Heat", "--genres", "Drama")
    assert_one_error_line(predict.returncode, predict.stdout, predict.stderr, *expected)

    (models_dir(home_copy) / "champion").unlink()  # promoting the champion again would change nothing
    promote = run_command("model", "promote", version)
    assert_one_error_line(promote.returncode, promote.stdout, promote.stderr, *expected)
    assert LocalModelStore(models_dir(home_copy)).champion_version() is None  # refused, not promoted


@pytest.mark.parametrize("damage", DAMAGES.values(), ids=DAMAGES.keys())
def test_every_kind_of_damage_is_one_line_naming_the_version_and_file(home_copy: Path, capsys, damage):
    version = champion_of(home_copy)
    artifact = (models_dir(home_copy) / version / "model.zip").read_bytes()
    replace_artifact(home_copy, version, damage(artifact))

    code, out, err = run_cli(capsys, "predict", "--title", "Heat", "--genres", "Drama")
    assert_one_error_line(code, out, err, f"model {version}", "model.zip")
    (models_dir(home_copy) / "champion").unlink()
    code, out, err = run_cli(capsys, "model", "promote", version)
    assert_one_error_line(code, out, err, f"model {version}", "model.zip")


def test_a_damaged_record_is_one_line(home_copy: Path, capsys):
    version = champion_of(home_copy)
    for text in ("[1, 2]", "{", '"' + "x" * 100_000, "1" * 5000):
        record_path(home_copy, version).write_text(text)
        code, out, err = run_cli(capsys, "predict", "--title", "Heat")
        assert_one_error_line(code, out, err, f"model {version}", "model.json")


# ---- 5. paths read from a record stay inside its version folder ------------------------------------

OUTSIDE = "outside.zip"
ESCAPES = {
    "relative": "names artifact '../../outside.zip'",
    "absolute": "names artifact '/",
    "symlink": "is a link leading out",
}


def point_outside(home: Path, version: str, how: str) -> None:
    """Move the version's (intact) artifact out of its folder, and make the record or a link lead there:
    before the store confined its reads, such a version was promoted and served."""
    folder = models_dir(home) / version
    outside = (folder / ".." / ".." / OUTSIDE).resolve()  # where the relative name leads: the home itself
    shutil.copy(folder / "model.zip", outside)
    (folder / "model.zip").unlink()
    if how == "relative":
        rewrite_record(home, version, lambda record: record.update(artifact=f"../../{OUTSIDE}"))
    elif how == "absolute":
        rewrite_record(home, version, lambda record: record.update(artifact=str(outside)))
    else:
        (folder / "model.zip").symlink_to(outside)


@pytest.mark.parametrize("how", ESCAPES)
def test_an_artifact_outside_its_version_folder_is_never_promoted_or_used(home_copy: Path, capsys, how: str):
    version = champion_of(home_copy)
    point_outside(home_copy, version, how)
    code, out, err = run_cli(capsys, "predict", "--title", "Heat", "--genres", "Drama")
    assert_one_error_line(code, out, err, f"model {version}", ESCAPES[how])

    (models_dir(home_copy) / "champion").unlink()
    code, out, err = run_cli(capsys, "model", "promote", version)
    assert_one_error_line(code, out, err, f"model {version}", ESCAPES[how])
    assert LocalModelStore(models_dir(home_copy)).champion_version() is None


def copy_version(home: Path, version: str, index: int) -> str:
    """Another version holding the same (intact) model: a folder copy under a new name."""
    copy = f"20300101T00000{index}-{version[-8:]}"
    shutil.copytree(models_dir(home) / version, models_dir(home) / copy, symlinks=True)
    rewrite_record(home, copy, lambda record: record.update(version=copy))
    return copy


def health_names(client: httpx.Client, text: str) -> bool:
    return text in client.get("/health").json()["detail"]


def test_the_server_starts_and_refuses_a_champion_outside_its_folder(home_copy: Path, tmp_path: Path):
    original = champion_of(home_copy)
    escaping = {how: copy_version(home_copy, original, index) for index, how in enumerate(ESCAPES)}
    for how, version in escaping.items():
        point_outside(home_copy, version, how)
    pointer = models_dir(home_copy) / "champion"
    pointer.write_text(escaping["relative"])
    serving = running_server(home_copy, tmp_path, "--poll-seconds", "0.2", require_ready=False)
    with serving as server, server.client() as client:
        for how, version in escaping.items():
            pointer.write_text(version)  # by hand: `model promote` refuses these
            wait_until(partial(health_names, client, version), 30, f"{version} to be refused")
            health = client.get("/health")
            assert health.status_code == 503 and health.json()["model_version"] is None
            assert ESCAPES[how] in health.json()["detail"] and "could not be loaded" in health.json()["detail"]
            assert str(home_copy) not in health.text
            assert client.post("/predict", json=HEAT).status_code == 503
        pointer.write_text(original)
        wait_until(lambda: client.get("/health").status_code == 200, 30, "the intact champion to be served")
        assert client.post("/predict", json=HEAT).json()["model_version"] == original
        log = server.log()
    assert "Traceback" not in log and str(models_dir(home_copy)) in log  # the paths are in the server's log


# ---- 6. huge arguments give one short line -------------------------------------------------------

FIFTY_MB = 50 * 1024 * 1024


def test_a_50_mb_title_or_genres_string_gives_one_short_line(built_home: Path, monkeypatch, capsys):
    monkeypatch.setenv("IMDB_ASSETS_HOME", str(built_home))
    huge = "x" * FIFTY_MB
    code, out, err = run_cli(capsys, "predict", "--title", huge, "--genres", "Drama")
    assert_one_error_line(code, out, err, "title is 52,428,800 characters long, over the limit of 500")
    assert len(err) < 120
    code, out, err = run_cli(capsys, "predict", "--title", "Heat", "--genres", huge)
    assert_one_error_line(code, out, err, "genres: one is 52,428,800 characters long, over the limit of 50")
    assert len(err) < 120
    code, out, err = run_cli(capsys, "predict", "--title", "Heat", "--genres", "Drama," * (FIFTY_MB // 6))
    assert_one_error_line(code, out, err, "genres: 8,738,133 given, over the limit of 30")
    code, out, err = run_cli(capsys, "model", "promote", huge)
    assert_one_error_line(code, out, err, "imdb-assets model: error: 'xxxx")


# ---- HTTP: a served champion, one with none yet, one that cannot be read -------------------------


@pytest.fixture(scope="module")
def server(built_home: Path, tmp_path_factory: pytest.TempPathFactory):
    with running_server(built_home, tmp_path_factory.mktemp("hostile-logs"), "--max-batch", str(MAX_BATCH)) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    with server.client() as http:
        yield http


@pytest.fixture(scope="module")
def empty_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("empty") / "home"
    home.mkdir()
    return home


@pytest.fixture(scope="module")
def damaged_home(built_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = copy_home(built_home, tmp_path_factory.mktemp("damaged") / "home")
    version = champion_of(home)
    replace_artifact(home, version, zlib_damaged((models_dir(home) / version / "model.zip").read_bytes()))
    return home


@pytest.fixture(scope="module")
def not_ready_servers(empty_home: Path, damaged_home: Path, tmp_path_factory: pytest.TempPathFactory):
    logs = tmp_path_factory.mktemp("not-ready-logs")
    empty_server = running_server(empty_home, logs, require_ready=False)
    with empty_server as empty, running_server(damaged_home, logs, require_ready=False) as damaged:
        yield {"no model yet": (empty, empty_home), "model unreadable": (damaged, damaged_home)}


# ---- 1. no input gets a 5xx ----------------------------------------------------------------------

HUGE_INT = b"1" * 5000
HOSTILE_BODIES = {
    "huge integer in an item": b'{"title": "Heat", "genres": [], "year": ' + HUGE_INT + b"}",
    "huge integer as the title": b'{"title": ' + HUGE_INT + b"}",
    "huge negative integer in a batch": b'[{"title": "Heat"}, {"title": -' + HUGE_INT + b"}]",
    "huge integer alone": HUGE_INT,
    "4 MB integer": b"9" * (4 * 1024 * 1024 - 1),
    "deeply nested arrays": b"[" * 200_000,
    "deeply nested objects": b'{"a": ' * 200_000,
    "nested under Python's depth, over pydantic's": b"[" * 900 + b"]" * 900,
    "huge title": json.dumps({"title": "x" * 3_000_000}).encode(),
    "huge genre": json.dumps({"title": "Heat", "genres": ["x" * 3_000_000]}).encode(),
    "huge field name": json.dumps({"k" * 1_000_000: 1, "title": "Heat"}).encode(),
    "250,000 unknown fields": json.dumps({f"k{i}": 1 for i in range(250_000)}).encode(),
    "250,000 unknown fields in a batch item": json.dumps([HEAT, {f"k{i}": 1 for i in range(250_000)}]).encode(),
    "field names with line breaks": json.dumps({"a\nb": 1, "c\r\nd\u2028e": 2, "title": "Heat"}).encode(),
    "1.5 million integers": b"[" + b",".join([b"1"] * 1_500_000) + b"]",
    "50,000 items": json.dumps([HEAT] * 50_000).encode(),
    "invalid UTF-8": b'{"title": "\xff\xfe\xfd"}',
    "UTF-16": '{"title": "Heat"}'.encode("utf-16"),
    "NaN": b'{"title": NaN}',
    "Infinity in a batch": b'[{"title": "Heat"}, Infinity]',
    "-Infinity as a genre": b'{"title": "Heat", "genres": [-Infinity]}',
    "a float past double range": b'{"title": "Heat", "genres": [1e999999]}',
    "a float of 4 MB": b'{"title": 1' + b"0" * (4 * 1024 * 1024 - 30) + b".5}",
    "empty body": b"",
    "white space only": b" \r\n\t ",
    "NUL bytes": b"\x00" * 1000,
    "a raw control character in a string": b'{"title": "\x01"}',
    "a lone surrogate escape": b'{"title": "\\udc00"}',
    "cut short": b'{"title": "Heat", "genres": ["Dr',
    "a BOM": b'\xef\xbb\xbf{"title": "Heat"}',
}


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_a_hostile_body_gets_a_4xx_with_one_json_error_line(client: httpx.Client, body: bytes):
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500, response.text[:500]
    assert_one_json_error_line(response)
    page = client.post("/", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert 400 <= page.status_code < 500 or page.status_code == 200, page.text[:500]


CONTENT_TYPES = [
    "application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    "application/json; charset=utf-16", "image/png", "*/*", "", "\x7f;;;=",  # the last is no valid header value
]  # fmt: skip
BODIES_BY_SHAPE = [
    b'{"title": "Heat"}',
    b"title=Heat&genres=Drama",
    b"--x\r\nContent-Disposition: form-data\r\n\r\nHeat\r\n--x--",
    b"\x89PNG\r\n",
]


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_no_content_type_gets_a_server_error(client: httpx.Client, content_type: str):
    for path in ("/predict", "/"):
        for body in BODIES_BY_SHAPE:
            response = client.post(path, content=body, headers={"content-type": content_type})
            assert response.status_code < 500, (path, body, response.text[:500])
            if path == "/predict" and response.status_code in (413, 422):  # a 400 comes from uvicorn's HTTP parser
                assert_one_json_error_line(response)


def test_a_50_mb_body_gets_413_and_the_server_keeps_answering(client: httpx.Client):
    huge = "x" * FIFTY_MB
    for body in ({"title": huge}, {"title": "Heat", "genres": huge}):
        response = client.post("/predict", json=body)
        assert response.status_code == 413
        assert_one_json_error_line(response)
        assert response.json()["detail"] == "request body is larger than 4194304 bytes"
    assert client.post("/", data={"title": huge}).status_code == 413
    assert client.post("/predict", json=HEAT).status_code == 200


# ---- 3. HEAD answers as GET, without the body ----------------------------------------------------


def get_routes(client: httpx.Client) -> list[str]:
    """Every GET route: the API's (from its own schema), the page, the docs and a docs asset."""
    paths = [path for path, operations in client.get("/openapi.json").json()["paths"].items() if "get" in operations]
    return [*paths, "/", "/docs", "/openapi.json", "/docs-assets/swagger-ui.css", "/no-such-page"]


def without_date(headers: httpx.Headers) -> dict[str, str]:
    return {key: value for key, value in headers.items() if key != "date"}


def assert_head_is_get(client: httpx.Client) -> None:
    for path in get_routes(client):
        get, head = client.get(path), client.head(path)
        assert head.status_code == get.status_code, path
        assert head.content == b"", path
        assert without_date(head.headers) == without_date(get.headers), path
    head = client.head("/predict")  # POST only: HEAD is refused as GET is, naming what is allowed
    assert head.status_code == 405 and head.headers["allow"] == "POST"


def test_head_answers_every_get_route_like_get(client: httpx.Client):
    assert_head_is_get(client)


def test_head_answers_like_get_when_not_ready(not_ready_servers):
    for server, _ in not_ready_servers.values():
        with server.client() as client:
            assert client.get("/health").status_code == 503
            assert_head_is_get(client)


# ---- 2. no answer shows a filesystem path --------------------------------------------------------


def every_answer(client: httpx.Client) -> dict[str, httpx.Response]:
    """Each route's answer to a good request and to bad ones (wrong method, bad or huge body, no page)."""
    answers = {}
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        for method in operations:
            answers[f"{method} {path}"] = client.request(method, path, json=HEAT if method == "post" else None)
            answers[f"put {path}"] = client.put(path)
    for path in get_routes(client):
        answers[f"get {path}"] = client.get(path)
    answers["post /"] = client.post("/", data={"title": "Heat", "genres": ["Drama"]})
    answers["post / blank title"] = client.post("/", data={"title": " "})
    form = {"content-type": "application/x-www-form-urlencoded"}
    answers["post / bad form"] = client.post("/", content=b"title=%ff", headers=form)
    answers["post / too large"] = client.post("/", content=b"title=" + b"x" * (5 * 1024 * 1024))
    answers["post /predict bad item"] = client.post("/predict", json={"title": ""})
    answers["post /predict not JSON"] = client.post("/predict", content=b"{")
    answers["post /predict huge integer"] = client.post("/predict", content=b'{"title": ' + HUGE_INT + b"}")
    answers["post /predict too large"] = client.post("/predict", content=b" " * (5 * 1024 * 1024))
    return answers


def path_needles(home: Path) -> list[str]:
    """What a leaked path would show: the home's absolute path, and `/` + each folder name on it or in it."""
    names = {*home.resolve().parts[1:], *home.parts[1:], *(entry.name for entry in home.iterdir())}
    names |= {entry.name for entry in models_dir(home).iterdir()} if models_dir(home).is_dir() else set()
    return [str(home), str(home.resolve()), *(f"/{name}" for name in sorted(names))]


def leaks(response: httpx.Response, needles: list[str]) -> list[str]:
    text = response.text + "\n" + "\n".join(f"{key}: {value}" for key, value in response.headers.items())
    return [needle for needle in needles if re.search(re.escape(needle) + r"(?![A-Za-z0-9_.-])", text)]


def assert_no_paths(client: httpx.Client, home: Path) -> dict[str, httpx.Response]:
    needles = path_needles(home)
    answers = every_answer(client)
    found = {name: leaks(response, needles) for name, response in answers.items()}
    assert not {name: needles for name, needles in found.items() if needles}, found
    return answers


def test_no_answer_shows_a_path_while_serving(client: httpx.Client, built_home: Path):
    answers = assert_no_paths(client, built_home)
    assert answers["get /health"].status_code == 200 and answers["post /predict"].status_code == 200


def test_no_answer_shows_a_path_without_a_model_or_with_an_unreadable_one(not_ready_servers):
    for state, (server, home) in not_ready_servers.items():
        with server.client() as client:
            answers = assert_no_paths(client, home)
            health = answers["get /health"].json()
            assert answers["get /health"].status_code == answers["post /predict"].status_code == 503, state
            if state == "no model yet":
                assert health["detail"] == "no champion in the model store yet: train one first (`imdb-assets run`)"
            else:
                version = champion_of(home)
                expected = f"champion {version} could not be loaded: model.zip cannot be read"
                assert health["detail"].startswith(expected), health
                assert "zlib.error" in health["detail"]
                assert str(models_dir(home)) in server.log()  # the path is logged for the operator
            assert "Traceback" not in server.log(), server.log()
