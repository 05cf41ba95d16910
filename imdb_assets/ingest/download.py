"""Download one file over HTTP(S) into a cache folder, bounded in time, resumable and reused when unchanged.

- A rate floor (at least `min_bytes` in every `window_seconds`) and an overall deadline bound the wait: a
  server that trickles a byte every few seconds fails the download instead of hanging it.
- Connection errors, timeouts, stalls, 408/429 and 5xx answers are retried with exponential backoff,
  resuming from the bytes already received (`Range`, checked against the answer's `Content-Range`).
- A finished file keeps its validators (ETag, Last-Modified, size, sha256) in `<name>.json` beside it, so
  the next download asks the server whether it changed: `304 Not Modified` reuses the cached copy.
- Bytes arrive in `<name>.part` (kept when a download fails or is killed, so the next one resumes) and
  become `<name>` by an atomic rename only when complete.

Every failure is a one-line `DataError` naming the URL and what happened.
"""

from __future__ import annotations

import fcntl
import http.client
import json
import os
import re
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TextIO

from imdb_assets.errors import DataError, one_line
from imdb_assets.files import atomic_write_text, file_digest, rename_into_place

CHUNK_BYTES = 1 << 16
USER_AGENT = "imdb-assets"
RETRYABLE_STATUSES = frozenset({408, 429})  # besides every 5xx: the server may well answer next time
CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


@dataclass(frozen=True)
class DownloadPolicy:
    """How long a download may take and how often it is tried."""

    min_bytes: int = 10_000  # the rate floor: fewer than this many bytes ...
    window_seconds: float = 60.0  # ... in the last this many seconds fails the attempt
    deadline_seconds: float = 30 * 60  # for the whole download, retries and pauses included
    attempts: int = 4
    backoff_seconds: float = 1.0  # the pause before retry n is backoff_seconds * 2 ** (n - 1)


@dataclass(frozen=True)
class Validators:
    """What the server said about one version of a file: enough to ask "changed since?" or to resume it."""

    url: str
    etag: str | None
    last_modified: str | None
    size: int | None  # bytes of the whole file, when the server said
    sha256: str | None = None  # of the complete file


@dataclass(frozen=True)
class Downloaded:
    path: Path
    url: str
    reused: bool  # the server answered 304: the cached copy is current
    bytes_received: int  # body bytes this call transferred


class _Retryable(Exception):
    """A failure another attempt may not meet; the message says what happened."""


def download(url: str, cache_dir: Path, policy: DownloadPolicy = DownloadPolicy(), progress: TextIO | None = None) -> Downloaded:
    """The cached copy of `url` under `cache_dir`, fetched or revalidated now. `progress` (default:
    stderr) gets a one-line progress display when it is a terminal."""
    target = cached_path(cache_dir, url)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _locked(target):  # two ingests of one URL must not write one .part at once
            return _download_locked(url, target, policy, sys.stderr if progress is None else progress)
    except OSError as exc:  # the network's errors are handled inside: this is the cache folder's disk
        raise DataError(one_line(f"{url}: cannot write the download cache {target.parent}: {exc}")) from exc


def cached_path(cache_dir: Path, url: str) -> Path:
    """Where `url` is cached: one folder per host and directory, so two sources never share a file."""
    parsed = urllib.parse.urlparse(url)
    folder, _, name = parsed.path.rpartition("/")
    return cache_dir / _safe_name(parsed.netloc + folder) / (_safe_name(name) or "index")


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_.")


def meta_path(target: Path) -> Path:
    return target.with_name(target.name + ".json")


def part_path(target: Path) -> Path:
    return target.with_name(target.name + ".part")


def _part_meta_path(target: Path) -> Path:
    return target.with_name(target.name + ".part.json")


@contextmanager
def _locked(target: Path) -> Iterator[None]:
    with target.with_name(target.name + ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _download_locked(url: str, target: Path, policy: DownloadPolicy, progress: TextIO) -> Downloaded:
    deadline = time.monotonic() + policy.deadline_seconds
    cached = _cached_validators(url, target)
    problem = ""
    for attempt in range(1, policy.attempts + 1):
        try:
            return _attempt(url, target, cached, policy, deadline, progress)
        except _Retryable as exc:
            problem = str(exc)
        pause = policy.backoff_seconds * 2 ** (attempt - 1)
        if attempt == policy.attempts:
            break
        if time.monotonic() + pause >= deadline:
            raise DataError(one_line(f"{url}: not complete within the {policy.deadline_seconds:g} s deadline, after {attempt} attempts: {problem}"))
        time.sleep(pause)
    raise DataError(one_line(f"{url}: download failed after {attempt} attempt{'s' * (attempt > 1)}: {problem}"))


def _cached_validators(url: str, target: Path) -> Validators | None:
    """The validators of the cached copy, when the copy is whole (its size and sha256 as recorded)."""
    meta = _read_validators(meta_path(target))
    if meta is None or meta.url != url or not target.is_file() or target.stat().st_size != meta.size:
        return None
    return meta if sha256_of(target) == meta.sha256 else None


def _read_validators(path: Path) -> Validators | None:
    try:
        return Validators(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):  # missing, torn by a crash or from another version: not trusted
        return None


def _attempt(url: str, target: Path, cached: Validators | None, policy: DownloadPolicy, deadline: float, progress: TextIO) -> Downloaded:
    partial = _resumable(url, target)
    offset = part_path(target).stat().st_size if partial else 0
    timeout = max(0.01, min(policy.window_seconds, deadline - time.monotonic()))
    request = _request(url, None if partial else cached, partial, offset)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        with exc:
            return _error_answer(url, target, cached, exc)
    except (OSError, http.client.HTTPException) as exc:
        raise _network_failure(url, exc, timeout) from exc
    with response:
        offset, validators = _start(url, target, response, partial, offset)
        received = _receive(url, target, response, offset, validators.size, policy, deadline, progress)
    return _finish(url, target, validators, received - offset)


def _resumable(url: str, target: Path) -> Validators | None:
    """The validators of the partial bytes in `<name>.part`, when they can be resumed; else the part is dropped."""
    part = part_path(target)
    partial = _read_validators(_part_meta_path(target))
    if partial and partial.url == url and _if_range(partial) and part.is_file() and part.stat().st_size > 0:
        return partial
    _discard_part(target)
    return None


def _if_range(validators: Validators) -> str | None:
    """The validator a resume is made conditional on: a strong ETag, else Last-Modified (RFC 9110 §13.1.5)."""
    if validators.etag and not validators.etag.startswith("W/"):
        return validators.etag
    return validators.last_modified


def _request(url: str, cached: Validators | None, partial: Validators | None, offset: int) -> urllib.request.Request:
    headers = {"User-Agent": USER_AGENT}
    if partial:
        # If-Range: when the file changed since the part began, the server sends all of the new one (200).
        headers |= {"Range": f"bytes={offset}-", "If-Range": _if_range(partial)}
    elif cached:
        if cached.etag:
            headers["If-None-Match"] = cached.etag
        if cached.last_modified:
            headers["If-Modified-Since"] = cached.last_modified
    return urllib.request.Request(url, headers=headers)


def _error_answer(url: str, target: Path, cached: Validators | None, error: urllib.error.HTTPError) -> Downloaded:
    """What a non-2xx answer means: 304 reuses the cache; 416, 408, 429 and 5xx are retried; the rest fail now."""
    if error.code == 304 and cached:
        return Downloaded(target, url, reused=True, bytes_received=0)
    answer = f"HTTP {error.code} {error.reason}"
    if error.code == 416:  # the part no longer fits the file: start over
        _discard_part(target)
        raise _Retryable(f"{answer} to a resume request")
    if error.code >= 500 or error.code in RETRYABLE_STATUSES:
        raise _Retryable(answer)
    raise DataError(one_line(f"{url}: {answer}"))


def _network_failure(url: str, exc: BaseException, timeout: float) -> Exception:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, ssl.SSLCertVerificationError):  # the same certificate fails every time
        return DataError(one_line(f"{url}: TLS certificate not trusted: {reason}"))
    if isinstance(reason, TimeoutError):
        return _Retryable(f"no answer within {timeout:g} s")
    return _Retryable(f"cannot connect: {str(reason) or type(reason).__name__}")


def _start(url: str, target: Path, response, partial: Validators | None, offset: int) -> tuple[int, Validators]:
    """The byte the body starts at and the validators of the version being received (recorded with the part)."""
    headers = response.headers
    fresh = Validators(url, headers.get("ETag"), headers.get("Last-Modified"), _int_or_none(headers.get("Content-Length")))
    if response.status != 206:
        if partial or offset:  # the server sent the whole file (it changed, or it ignores Range): start over
            _discard_part(target)
        _write_json(_part_meta_path(target), asdict(fresh))
        return 0, fresh
    match = CONTENT_RANGE.fullmatch((headers.get("Content-Range") or "").strip())
    total = None if not match or match[3] == "*" else int(match[3])
    if not partial or not match or int(match[1]) != offset or (partial.size is not None and total != partial.size):
        _discard_part(target)
        raise _Retryable(f"resume from byte {offset} answered with Content-Range {headers.get('Content-Range')!r}")
    return offset, replace(partial, size=total)


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text and text.strip().isdigit() else None


def _receive(url: str, target: Path, response, offset: int, total: int | None, policy: DownloadPolicy, deadline: float, progress: TextIO) -> int:
    """Append the body to `<name>.part`; the number of bytes the part holds when the body ends."""
    floor = RateFloor(policy.min_bytes, policy.window_seconds)
    meter = Progress(target.name, progress)
    received = offset
    with part_path(target).open("ab" if offset else "wb") as handle:
        try:
            while block := _read(response, received, total, policy):
                handle.write(block)
                received += len(block)
                meter.update(received - offset, received, total)
                floor.add(len(block), f"after {_size(received)}")
                if time.monotonic() > deadline:
                    raise DataError(one_line(f"{url}: not complete within the {policy.deadline_seconds:g} s deadline ({_of(received, total)})"))
        finally:
            handle.flush()
            os.fsync(handle.fileno())  # what is kept for a resume must be on disk
            meter.close()
    if total is not None and received != total:
        if received > total:
            _discard_part(target)
        raise _Retryable(f"connection closed after {_of(received, total)}")
    return received


def _read(response, received: int, total: int | None, policy: DownloadPolicy) -> bytes:
    try:
        return response.read1(CHUNK_BYTES)  # read1: returns what has arrived, so a trickle is seen as one
    except TimeoutError as exc:
        raise _Retryable(f"stalled: no byte in {policy.window_seconds:g} s after {_of(received, total)}") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise _Retryable(f"connection failed after {_of(received, total)}: {str(exc) or type(exc).__name__}") from exc


def _finish(url: str, target: Path, validators: Validators, bytes_received: int) -> Downloaded:
    part = part_path(target)
    validators = replace(validators, size=part.stat().st_size, sha256=sha256_of(part))
    rename_into_place(part, target)
    _write_json(meta_path(target), asdict(validators))
    _part_meta_path(target).unlink(missing_ok=True)
    return Downloaded(target, url, reused=False, bytes_received=bytes_received)


def _discard_part(target: Path) -> None:
    part_path(target).unlink(missing_ok=True)
    _part_meta_path(target).unlink(missing_ok=True)


def _write_json(path: Path, data: dict) -> None:
    """Write `data` so that `path` holds either its old or its new content, whatever happens."""
    atomic_write_text(path, json.dumps(data, indent=2))


def sha256_of(path: Path) -> str:
    return file_digest(path, "sha256")


class RateFloor:
    """Fails a transfer when fewer than `min_bytes` arrived in the last `window` seconds; judged once one
    whole window has passed, so a connection's slow start is not held against it."""

    def __init__(self, min_bytes: int, window: float, clock=time.monotonic):
        self.min_bytes, self.window, self.clock = min_bytes, window, clock
        self.started = clock()
        self.samples: deque[list] = deque()  # [time, bytes], merged per 1/60 window to bound memory
        self.in_window = 0

    def add(self, count: int, where: str) -> None:
        now = self.clock()
        if self.samples and now - self.samples[-1][0] < self.window / 60:
            self.samples[-1][1] += count
        else:
            self.samples.append([now, count])
        self.in_window += count
        while self.samples[0][0] < now - self.window:
            self.in_window -= self.samples.popleft()[1]
        if now - self.started >= self.window and self.in_window < self.min_bytes:
            raise _Retryable(f"stalled: {_size(self.in_window)} in the last {self.window:g} s (the floor is {_size(self.min_bytes)}) {where}")


class Progress:
    """Bytes, rate and ETA on one line of a terminal, rewritten in place; nothing when not a terminal."""

    def __init__(self, name: str, stream: TextIO, interval: float = 0.5, clock=time.monotonic):
        self.name, self.interval, self.clock = name, interval, clock
        self.stream = stream if _is_terminal(stream) else None
        self.started = clock()
        self.shown_at: float | None = None
        self.pending: tuple[int, int, int | None] | None = None  # an update not shown yet (too soon)
        self.width = 0

    def update(self, this_call: int, received: int, total: int | None) -> None:
        if self.stream is None:
            return
        now = self.clock()
        self.pending = (this_call, received, total)
        if self.shown_at is None or now - self.shown_at >= self.interval:
            self._show(now)

    def close(self) -> None:
        """End the line, showing the last update first, so the line ends on the final byte count."""
        if self.stream is None or self.shown_at is None:
            return
        if self.pending:
            self._show(self.clock())
        self.stream.write("\n")
        self.stream.flush()

    def _show(self, now: float) -> None:
        this_call, received, total = self.pending
        self.pending, self.shown_at = None, now
        rate = this_call / max(now - self.started, 1e-6)
        line = f"{self.name}: {_of(received, total)}  {_size(rate)}/s"
        if total and rate > 0:
            line += f"  ETA {_duration((total - received) / rate)}"
        self.stream.write("\r" + line.ljust(self.width))  # spaces cover the rest of a longer previous line
        self.stream.flush()
        self.width = len(line)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _size(count: float) -> str:
    units = ("B", "kB", "MB", "GB")
    power = 0
    while count >= 1000 and power < len(units) - 1:
        count /= 1000
        power += 1
    return f"{count:.0f} B" if power == 0 else f"{count:.1f} {units[power]}"


def _of(received: int, total: int | None) -> str:
    return f"{_size(received)} of {_size(total)}" if total is not None else _size(received)


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}" if minutes >= 60 else f"{minutes}:{seconds:02d}"
