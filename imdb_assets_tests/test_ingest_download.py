"""Downloads a person can trust, against a local HTTP server: a trickling server fails in bounded time, a
dropped connection resumes with Range, an unchanged file is revalidated (304) instead of fetched, a 404
fails at once and a 5xx is retried; end to end, a second `imdb-assets ingest` of an unchanged URL
downloads nothing."""

from __future__ import annotations

import hashlib
import io
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from imdb_assets.cli import main
from imdb_assets.errors import DataError
from imdb_assets.ingest.download import DownloadPolicy, Progress, cached_path, download, meta_path, part_path
from imdb_assets_tests.bad_snapshots import good_basics, good_ratings
from imdb_assets_tests.imdb_files import write_snapshot

BASICS = "title.basics.tsv.gz"
# Small numbers, so that the failures under test happen in well under a second each.
FAST = DownloadPolicy(min_bytes=1000, window_seconds=0.5, deadline_seconds=10, attempts=3, backoff_seconds=0.05)


@dataclass
class Served:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    status: int
    body_bytes: int


@dataclass
class FileServer:
    """Serves `files` with ETag / Last-Modified, Range and conditional GETs; a test sets the faults."""

    files: dict[str, bytes]
    send_etag: bool = True
    fail_with: list[int] = field(default_factory=list)  # statuses answered (one each) before serving normally
    drop_after: list[int] = field(default_factory=list)  # bytes sent (one value per response) before hanging up
    trickle: tuple[int, float] | None = None  # (bytes, seconds): send that many bytes per pause, forever
    wrong_content_range: int = 0  # how many 206 answers claim to start at byte 0
    requests: list[Served] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    modified: float = 1_780_000_000.0

    def etag(self, name: str) -> str:
        return '"' + hashlib.sha256(self.files[name]).hexdigest()[:16] + '"'

    def last_modified(self) -> str:
        return formatdate(self.modified, usegmt=True)

    def body_bytes(self) -> int:
        return sum(r.body_bytes for r in self.requests)


def handler_for(server: FileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep the test output clean
            pass

        def do_GET(self) -> None:
            name = self.path.lstrip("/")
            record = Served(self.path, dict(self.headers), 0, 0)
            server.requests.append(record)
            if name not in server.files:
                return self.answer(record, 404)
            if server.fail_with:
                return self.answer(record, server.fail_with.pop(0))
            data = server.files[name]
            if self.unchanged(name):
                return self.answer(record, 304, validators=name)
            start = self.range_start(name)
            status = 206 if start is not None else 200
            start = start or 0
            self.send_response(status)
            record.status = status
            self.validator_headers(name)
            self.send_header("Content-Length", str(len(data) - start))
            if status == 206:
                claimed = 0 if server.wrong_content_range > 0 else start
                server.wrong_content_range -= 1
                self.send_header("Content-Range", f"bytes {claimed}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            self.send_body(record, data[start:])

        def unchanged(self, name: str) -> bool:
            etag = server.etag(name) if server.send_etag else None
            if self.headers.get("If-None-Match"):
                return self.headers["If-None-Match"] == etag
            return self.headers.get("If-Modified-Since") == server.last_modified()

        def range_start(self, name: str) -> int | None:
            match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
            if_range = self.headers.get("If-Range")
            current = (server.etag(name) if server.send_etag else None, server.last_modified())
            if not match or (if_range is not None and if_range not in current):
                return None  # no Range, or the file changed since the client's part began: all of it
            return int(match[1])

        def validator_headers(self, name: str) -> None:
            if server.send_etag:
                self.send_header("ETag", server.etag(name))
            self.send_header("Last-Modified", server.last_modified())

        def answer(self, record: Served, status: int, validators: str | None = None) -> None:
            record.status = status
            self.send_response(status)
            if validators:
                self.validator_headers(validators)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def send_body(self, record: Served, body: bytes) -> None:
            try:
                if server.trickle:
                    self.send_trickle(record, body)
                elif server.drop_after:
                    cut = server.drop_after.pop(0)
                    self.wfile.write(body[:cut])
                    record.body_bytes = min(cut, len(body))
                    self.connection.shutdown(socket.SHUT_RDWR)  # hang up mid-file
                else:
                    self.wfile.write(body)
                    record.body_bytes = len(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up: what the slow-server tests expect

        def send_trickle(self, record: Served, body: bytes) -> None:
            count, pause = server.trickle
            for start in range(0, len(body), count or 1):
                if server.stop.wait(pause):
                    return
                self.wfile.write(body[start : start + count])
                self.wfile.flush()
                record.body_bytes += count

    return Handler


@pytest.fixture
def serve() -> Iterator:
    """`serve(files, **faults)` -> (FileServer, base URL); every server is shut down after the test."""
    running: list[tuple[ThreadingHTTPServer, FileServer]] = []

    def start(files: dict[str, bytes], **faults) -> tuple[FileServer, str]:
        state = FileServer(files, **faults)
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(state))
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        running.append((httpd, state))
        return state, f"http://127.0.0.1:{httpd.server_address[1]}/"

    yield start
    for httpd, state in running:
        state.stop.set()
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def snapshot_files(tmp_path: Path) -> dict[str, bytes]:
    folder = write_snapshot(tmp_path / "published", good_basics(2000), good_ratings(2000))
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def one_line_error(excinfo: pytest.ExceptionInfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message and len(message) <= 300, message
    assert "Traceback" not in message
    return message


@pytest.mark.parametrize("trickle", [(10, 0.05), (0, 0.05)], ids=["trickle", "silent"])
def test_a_server_under_the_rate_floor_fails_in_one_line_within_bounded_time(serve, snapshot_files, tmp_path: Path, trickle):
    server, base = serve(snapshot_files, trickle=trickle)  # 200 B/s (or nothing) against a floor of 2 kB/s
    policy = DownloadPolicy(min_bytes=1000, window_seconds=0.5, deadline_seconds=30, attempts=2, backoff_seconds=0.05)

    started = time.monotonic()
    with pytest.raises(DataError) as excinfo:
        download(base + BASICS, tmp_path / "cache", policy)
    elapsed = time.monotonic() - started

    message = one_line_error(excinfo)
    assert message.startswith(base + BASICS + ": download failed after 2 attempts: stalled: "), message
    # Two attempts of one window each, plus one pause: nowhere near the server's pace of ~15 min.
    assert elapsed < 2 * 0.5 + 0.05 + 1.0, elapsed
    assert len(server.requests) == 2
    assert not cached_path(tmp_path / "cache", base + BASICS).exists()


def test_the_deadline_bounds_a_download_that_keeps_above_the_floor(serve, snapshot_files, tmp_path: Path):
    serve_state, base = serve(snapshot_files, trickle=(100, 0.05))  # 2 kB/s: above a 10 B floor, but slow
    policy = DownloadPolicy(min_bytes=10, window_seconds=0.5, deadline_seconds=1.0, attempts=4, backoff_seconds=0.05)

    started = time.monotonic()
    with pytest.raises(DataError) as excinfo:
        download(base + BASICS, tmp_path / "cache", policy)
    elapsed = time.monotonic() - started

    assert "not complete within the 1 s deadline" in one_line_error(excinfo)
    assert elapsed < 1.0 + 0.5, elapsed
    assert len(serve_state.requests) == 1


def test_a_dropped_connection_is_resumed_with_range(serve, snapshot_files, tmp_path: Path):
    data = snapshot_files[BASICS]
    server, base = serve(snapshot_files, drop_after=[len(data) // 2])

    result = download(base + BASICS, tmp_path / "cache", FAST)

    assert result.path.read_bytes() == data
    assert [r.status for r in server.requests] == [200, 206]
    resumed = server.requests[1].headers
    assert resumed["Range"] == f"bytes={len(data) // 2}-"
    assert resumed["If-Range"] == server.etag(BASICS)
    assert server.body_bytes() == len(data)  # no byte was sent twice
    assert result.bytes_received == len(data) - len(data) // 2
    meta = json.loads(meta_path(result.path).read_text())
    assert meta["sha256"] == hashlib.sha256(data).hexdigest() and meta["size"] == len(data)
    assert meta["etag"] == server.etag(BASICS)
    assert not part_path(result.path).exists()


def test_a_killed_download_resumes_on_the_next_call(serve, snapshot_files, tmp_path: Path):
    data = snapshot_files[BASICS]
    server, base = serve(snapshot_files, drop_after=[1000])
    one_try = DownloadPolicy(min_bytes=1000, window_seconds=0.5, attempts=1)

    with pytest.raises(DataError, match=r"connection closed after 1\.0 kB of "):
        download(base + BASICS, tmp_path / "cache", one_try)
    target = cached_path(tmp_path / "cache", base + BASICS)
    assert part_path(target).stat().st_size == 1000 and not target.exists()

    download(base + BASICS, tmp_path / "cache", one_try)

    assert target.read_bytes() == data
    assert server.requests[1].headers["Range"] == "bytes=1000-"
    assert server.requests[1].status == 206


def test_a_part_of_an_older_version_is_not_resumed(serve, snapshot_files, tmp_path: Path):
    server, base = serve(snapshot_files, drop_after=[1000])
    one_try = DownloadPolicy(attempts=1)
    with pytest.raises(DataError):
        download(base + BASICS, tmp_path / "cache", one_try)
    server.files[BASICS] = newer = b"changed" + snapshot_files[BASICS]  # the file changed meanwhile

    result = download(base + BASICS, tmp_path / "cache", one_try)

    assert server.requests[1].headers["Range"] == "bytes=1000-"
    assert server.requests[1].status == 200  # If-Range did not match: the server sent all of it
    assert result.path.read_bytes() == newer


def test_a_resume_answered_with_the_wrong_content_range_starts_over(serve, snapshot_files, tmp_path: Path):
    data = snapshot_files[BASICS]
    server, base = serve(snapshot_files, drop_after=[1000], wrong_content_range=1)

    result = download(base + BASICS, tmp_path / "cache", FAST)

    assert result.path.read_bytes() == data
    assert [r.status for r in server.requests] == [200, 206, 200]  # the bad 206 was not appended


@pytest.mark.parametrize("send_etag", [True, False], ids=["etag", "last-modified"])
def test_an_unchanged_file_is_revalidated_not_fetched(serve, snapshot_files, tmp_path: Path, send_etag: bool):
    data = snapshot_files[BASICS]
    server, base = serve(snapshot_files, send_etag=send_etag)
    first = download(base + BASICS, tmp_path / "cache", FAST)
    mtime = first.path.stat().st_mtime_ns

    second = download(base + BASICS, tmp_path / "cache", FAST)

    assert second.reused and second.bytes_received == 0 and second.path == first.path
    assert second.path.read_bytes() == data and second.path.stat().st_mtime_ns == mtime
    assert [r.status for r in server.requests] == [200, 304]
    asked = server.requests[1].headers
    assert asked.get("If-None-Match") == (server.etag(BASICS) if send_etag else None)
    assert asked["If-Modified-Since"] == server.last_modified()
    assert server.body_bytes() == len(data)  # one body, on the first request only


def test_a_changed_file_is_fetched_again(serve, snapshot_files, tmp_path: Path):
    server, base = serve(snapshot_files)
    download(base + BASICS, tmp_path / "cache", FAST)
    server.files[BASICS] = newer = snapshot_files[BASICS] + b"more"

    result = download(base + BASICS, tmp_path / "cache", FAST)

    assert not result.reused and result.path.read_bytes() == newer
    assert [r.status for r in server.requests] == [200, 200]


def test_a_damaged_cached_copy_is_not_revalidated(serve, snapshot_files, tmp_path: Path):
    server, base = serve(snapshot_files)
    first = download(base + BASICS, tmp_path / "cache", FAST)
    damaged = bytearray(first.path.read_bytes())
    damaged[100] ^= 0xFF
    first.path.write_bytes(bytes(damaged))  # same size, other bytes: only the sha256 tells

    second = download(base + BASICS, tmp_path / "cache", FAST)

    assert "If-None-Match" not in server.requests[1].headers
    assert second.path.read_bytes() == snapshot_files[BASICS]


@pytest.mark.parametrize("status", [404, 403])
def test_a_missing_file_fails_at_once_in_one_line(serve, snapshot_files, tmp_path: Path, status: int):
    server, base = serve(snapshot_files, fail_with=[status])
    started = time.monotonic()

    with pytest.raises(DataError) as excinfo:
        download(base + BASICS, tmp_path / "cache", DownloadPolicy(backoff_seconds=5))

    assert one_line_error(excinfo) == f"{base}{BASICS}: HTTP {status} {'Not Found' if status == 404 else 'Forbidden'}"
    assert len(server.requests) == 1 and time.monotonic() - started < 1


def test_a_server_error_is_retried(serve, snapshot_files, tmp_path: Path):
    server, base = serve(snapshot_files, fail_with=[503, 500])

    result = download(base + BASICS, tmp_path / "cache", FAST)

    assert result.path.read_bytes() == snapshot_files[BASICS]
    assert [r.status for r in server.requests] == [503, 500, 200]


def test_server_errors_past_the_attempts_fail_in_one_line(serve, snapshot_files, tmp_path: Path):
    server, base = serve(snapshot_files, fail_with=[502] * 5)

    with pytest.raises(DataError) as excinfo:
        download(base + BASICS, tmp_path / "cache", FAST)

    assert one_line_error(excinfo) == f"{base}{BASICS}: download failed after 3 attempts: HTTP 502 Bad Gateway"
    assert len(server.requests) == 3


def test_a_refused_connection_is_retried_then_fails_in_one_line(tmp_path: Path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/{BASICS}"

    with pytest.raises(DataError) as excinfo:
        download(url, tmp_path / "cache", FAST)

    assert one_line_error(excinfo).startswith(f"{url}: download failed after 3 attempts: cannot connect: ")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_one_rewritten_line_on_a_terminal_and_nothing_elsewhere(serve, snapshot_files, tmp_path: Path):
    _, base = serve(snapshot_files)
    terminal, pipe = Terminal(), io.StringIO()

    download(base + BASICS, tmp_path / "a", FAST, progress=terminal)
    download(base + BASICS, tmp_path / "b", FAST, progress=pipe)

    shown = terminal.getvalue()
    assert shown.startswith(f"\r{BASICS}: ") and shown.endswith("\n") and shown.count("\n") == 1
    assert re.search(r"of \d+\.\d kB  [\d.]+ [kMG]?B/s", shown), shown
    assert pipe.getvalue() == ""


def test_progress_shows_bytes_rate_and_eta():
    clock = iter([0.0, 2.0]).__next__
    terminal = Terminal()
    meter = Progress("title.ratings.tsv.gz", terminal, clock=clock)

    meter.update(2_000_000, 2_000_000, 10_000_000)
    meter.close()

    assert terminal.getvalue() == "\rtitle.ratings.tsv.gz: 2.0 MB of 10.0 MB  1.0 MB/s  ETA 0:08\n"


def warehouse_count(home: Path, table: str) -> int:
    with duckdb.connect(str(home / "warehouse" / "imdb.duckdb"), read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0]


def test_ingest_from_a_url_caches_the_files_and_revalidates_them_next_time(serve, snapshot_files, imdb_home: Path, capsys):
    server, base = serve(snapshot_files)
    ingest = ["ingest", "--source", base, "--snapshot-date", "2026-11-01"]

    assert main(ingest) == 0
    assert "title.basics.tsv.gz: 2000 rows loaded for snapshot 2026-11-01" in capsys.readouterr().out
    assert warehouse_count(imdb_home, "title_basics") == 2000 and warehouse_count(imdb_home, "title_ratings") == 2000
    assert sorted(r.status for r in server.requests) == [200, 200]
    for name, data in snapshot_files.items():
        assert cached_path(imdb_home / "downloads", base + name).read_bytes() == data

    assert main(ingest) == 0  # the same date again, from the unchanged URL

    assert "title.ratings.tsv.gz: 2000 rows loaded" in capsys.readouterr().out
    assert sorted(r.status for r in server.requests[2:]) == [304, 304]
    assert server.body_bytes() == sum(len(data) for data in snapshot_files.values())  # each body once
    assert warehouse_count(imdb_home, "title_basics") == 2000


def test_ingest_from_a_missing_url_fails_in_one_line(serve, snapshot_files, imdb_home: Path, capsys):
    _, base = serve({})

    assert main(["ingest", "--source", base, "--snapshot-date", "2026-11-01"]) == 1

    err = capsys.readouterr().err.strip()
    assert err == f"imdb-assets ingest: error: {base}{BASICS}: HTTP 404 Not Found"


def test_progress_ends_on_the_last_update_even_when_it_came_too_soon_to_show():
    clock = iter([0.0, 1.0, 1.1, 1.2]).__next__
    terminal = Terminal()
    meter = Progress("title.ratings.tsv.gz", terminal, clock=clock)

    meter.update(1_000_000, 1_000_000, 2_000_000)  # shown at 1.0 s
    meter.update(2_000_000, 2_000_000, 2_000_000)  # 0.1 s later: too soon to show
    meter.close()  # shows it at 1.2 s, then ends the line

    assert terminal.getvalue() == (
        "\rtitle.ratings.tsv.gz: 1.0 MB of 2.0 MB  1.0 MB/s  ETA 0:01"
        "\rtitle.ratings.tsv.gz: 2.0 MB of 2.0 MB  1.7 MB/s  ETA 0:00\n"
    )
