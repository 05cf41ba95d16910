"""Versioned model artifacts, a champion pointer and an audit log of promotions (pure Python, no Dagster).

Layout under the store's root (a folder here; a GCS prefix in production):

    <version>/model.zip      the model in the safe format of serialization.py
    <version>/model.json     its record: metrics, baselines, params, dataset and code version, sha256
    <version>/<other files>  plots and the model card saved with it
    champion                 the version in service (plain text)
    latest                   the most recently trained version (plain text)
    audit/<time>-<version>.json   one file per champion decision (promotion, kept champion, manual override)

`ModelStore` holds all the logic on top of five storage primitives (read/write bytes by key, list a
prefix, exists, a display location); `LocalModelStore` implements them for a folder and a cloud store
only has to implement the same five. Writes are whole-object and atomic (a reader sees all or nothing),
and a version's record is written last: a version without a record does not exist, so a crash while
saving never leaves a half-written model visible.

Loading verifies the artifact's sha256 against its record before reading a byte of it, and the format
holds no code (no pickle), so a file the project did not write is refused rather than executed. Every
file name read from a record or attached to a version is a plain name inside its version folder, and a
local store never follows a link out of the folder a key names: a hand-edited record cannot make the
store read, promote or serve a file from elsewhere.

A version is named by its save time and the first 8 hex digits of its artifact's sha256, and the store
holds each model content once: saving a pipeline whose model.zip is byte for byte an intact stored one
(training is deterministic, so an identical retrain gives one) returns that version and writes nothing,
pointers included. Content is the artifact alone, never the record, which holds timings and timestamps.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import re
import zipfile
import zlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from imdb_assets.errors import NotReadyError
from imdb_assets.files import atomic_write_bytes
from imdb_assets.model.artifact_format import ARTIFACT_NAME, FORMAT

RECORD_FILE = "model.json"
CHAMPION_POINTER = "champion"
LATEST_POINTER = "latest"
AUDIT_PREFIX = "audit"
_VERSION_PATTERN = re.compile(r"^\d{8}T\d{6}(?:\d{6})?-[0-9a-f]{8}$")
# What unpacking a damaged or foreign model file raises (zip: bad CRC, encrypted, unknown method; zlib;
# JSON; .npy headers and sizes; missing entries); its readers turn these into one line.
ARTIFACT_READ_ERRORS = (
    zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, OSError, RuntimeError,
    RecursionError, MemoryError,
)  # fmt: skip
# A plain name inside its version folder: no separators, and never ".", ".." or a hidden temp file.
_FILE_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_SHOWN_NAME_CHARACTERS = 60


class ModelArtifactError(RuntimeError):
    """A stored model cannot be trusted or read (one line: which version, which file, what is wrong).

    `str()` says where the file lives, for the shell and logs; `public` says the same without the
    store's location, for answers that leave the machine (the server's /health and 503s)."""

    def __init__(self, version: str, file: str, problem: str, location: str | None = None):
        self.version, self.file, self.problem = version, file, problem
        # The location last: an error line cut to its first 300 characters keeps what is wrong.
        super().__init__(f"model {version}: {file} {problem}" + (f" (in {location})" if location and location != file else ""))

    @property
    def public(self) -> str:
        return f"model {self.version}: {self.file} {self.problem}"


class CorruptModelError(ModelArtifactError):
    """A model file does not match the checksum recorded when it was saved (or is missing)."""


class OutsideFolderError(PermissionError):
    """A local store's key leads out of its folder (a link pointing elsewhere): never read."""


@dataclass(frozen=True)
class SavedModel:
    """What `ModelStore.store_model` did: the version holding the model, and whether it was already stored."""

    version: str
    reused: bool


@dataclass(frozen=True)
class LoadedModel:
    version: str
    pipeline: Any
    record: dict

    @property
    def threshold(self) -> float:
        return float(self.record.get("threshold", 0.5))

    @property
    def known_genres(self) -> list[str]:
        return list(self.record.get("known_genres", []))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in some containers
        return "unknown"


def is_file_name(name: object) -> bool:
    """`name` can only mean a file directly inside a version folder."""
    return isinstance(name, str) and _FILE_NAME_PATTERN.match(name) is not None


def _shown(name: object) -> str:
    """A name from a record or a caller, quoted and cut short for a one-line message."""
    text = repr(name)
    return text if len(text) <= _SHOWN_NAME_CHARACTERS else text[: _SHOWN_NAME_CHARACTERS - 1] + "…"


def _check_file_names(files: dict[str, bytes]) -> None:
    for name in files:
        if not is_file_name(name) or name in (RECORD_FILE, ARTIFACT_NAME):
            raise ValueError(f"cannot store a file named {_shown(name)} with a model")


class ModelStore(ABC):
    """Model versions with records, a champion pointer and an audit log, over five storage primitives."""

    # ---- storage primitives: all a new backend implements -----------------------------------------
    @abstractmethod
    def _read_bytes(self, key: str) -> bytes:
        """The object's bytes; FileNotFoundError when there is none, OutsideFolderError when it leads out
        of the folder its key names."""

    @abstractmethod
    def _write_bytes(self, key: str, data: bytes) -> None:
        """Replace the object atomically: readers see the old bytes or the new, never a mix."""

    @abstractmethod
    def _list(self, prefix: str) -> list[str]:
        """Names directly under `prefix` ("" for the root): objects and sub-prefixes, without the prefix."""

    @abstractmethod
    def _exists(self, key: str) -> bool: ...

    @abstractmethod
    def location(self, key: str = "") -> str:
        """Where `key` lives, for people (a path or a gs:// URL)."""

    def _delete(self, key: str) -> None:
        """Remove one object (absent: nothing to do). Only garbage collection deletes; a backend that
        cannot delete keeps every version."""
        raise NotImplementedError(f"{type(self).__name__} cannot delete models")

    # ---- text helpers ------------------------------------------------------------------------------
    def _read_text(self, key: str) -> str:
        return self._read_bytes(key).decode("utf-8")

    def _write_text(self, key: str, text: str) -> None:
        self._write_bytes(key, text.encode("utf-8"))

    def _read_pointer(self, name: str) -> str | None:
        try:
            return self._read_text(name).strip() or None
        except FileNotFoundError:
            return None

    # ---- versions ----------------------------------------------------------------------------------
    @staticmethod
    def check_version(version: str) -> str:
        version = str(version).strip()
        if not _VERSION_PATTERN.match(version):
            raise NotReadyError(
                f"{version!r} is not a model version (expected e.g. 20261101T120000-1a2b3c4d; see `imdb-assets model list`)"
            )
        return version

    def save(self, pipeline: Any, record: dict, files: dict[str, bytes] | None = None) -> str:
        """Store a fitted pipeline, its record and extra files (plots, card); return its version (see
        `store_model`, which also says whether the version was already stored)."""
        return self.store_model(pipeline, record, files).version

    def store_model(self, pipeline: Any, record: dict, files: dict[str, bytes] | None = None) -> SavedModel:
        """Store a fitted pipeline with its record and extra files, unless its content is already stored.

        A new version is the save time plus the artifact's sha256 prefix; saving it moves `latest`, never
        `champion`: promotion is a separate, audited decision (`set_champion`). When an intact version
        already holds exactly these artifact bytes, that version is returned as it is: its record, files
        and both pointers are left untouched."""
        from imdb_assets.model import serialization  # scikit-learn, only when a model is written

        artifact = serialization.dumps(pipeline)
        _check_file_names(files or {})
        existing = self.version_with_artifact(artifact)
        if existing is not None:
            return SavedModel(existing, reused=True)
        return SavedModel(self._write_version(artifact, record, files or {}), reused=False)

    def version_with_artifact(self, artifact: bytes) -> str | None:
        """The newest stored version whose artifact is exactly these bytes and still intact, or None."""
        digest = sha256_hex(artifact)
        # The version name carries the digest prefix, so only same-prefix versions are read.
        for version in reversed(self._version_names(suffix=f"-{digest[:8]}")):
            if self._holds_artifact(version, digest, artifact):
                return version
        return None

    def _holds_artifact(self, version: str, digest: str, artifact: bytes) -> bool:
        """`version` is complete, loadable in this format, and its stored artifact is exactly `artifact`
        (a damaged copy never stands in for a fresh save)."""
        try:
            record = self.record(version)
            if record.get("format") != FORMAT or record.get("sha256") != digest:
                return False
            return self._read_version_file(version, self._artifact_name(version, record)) == artifact
        except (FileNotFoundError, NotReadyError, ModelArtifactError):
            return False

    def _write_version(self, artifact: bytes, record: dict, files: dict[str, bytes]) -> str:
        digest = sha256_hex(artifact)
        saved_at = _now()
        version = f"{saved_at:%Y%m%dT%H%M%S%f}-{digest[:8]}"
        self._write_bytes(f"{version}/{ARTIFACT_NAME}", artifact)
        for name, data in files.items():
            self._write_bytes(f"{version}/{name}", data)
        full_record = {
            **record,
            "version": version,
            "trained_at": record.get("trained_at", saved_at.isoformat()),
            "saved_at": saved_at.isoformat(),
            "artifact": ARTIFACT_NAME,
            "format": FORMAT,
            "sha256": digest,
            "files": sorted(files),
        }
        # The record last: from this write on the version exists.
        self._write_text(f"{version}/{RECORD_FILE}", json.dumps(full_record, indent=2, sort_keys=True, default=str))
        self._write_text(LATEST_POINTER, version)
        return version

    def _version_names(self, suffix: str = "") -> list[str]:
        """Complete versions whose name ends with `suffix`, oldest first."""
        return sorted(
            name
            for name in self._list("")
            if name.endswith(suffix) and _VERSION_PATTERN.match(name) and self._exists(f"{name}/{RECORD_FILE}")
        )

    def versions(self) -> list[str]:
        """Every complete version, oldest first."""
        return self._version_names()

    def record(self, version: str) -> dict:
        version = self.check_version(version)
        try:
            data = self._read_version_file(version, RECORD_FILE)
        except FileNotFoundError:
            raise NotReadyError(f"model version {version} not found in {self.location()}") from None
        return self._parse_record(version, data)

    def _parse_record(self, version: str, data: bytes) -> dict:
        where = self.location(f"{version}/{RECORD_FILE}")
        try:
            record = json.loads(data)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
            why = f"{exc.msg}, line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
            raise ModelArtifactError(version, RECORD_FILE, f"is not valid JSON ({why})", where) from None
        if not isinstance(record, dict):
            problem = f"holds a JSON {type(record).__name__}, not an object"
            raise ModelArtifactError(version, RECORD_FILE, problem, where)
        return record

    def _file_key(self, version: str, name: object) -> str:
        """The key of a file inside a version's folder; a name that could reach anywhere else is refused."""
        version = self.check_version(version)
        if not is_file_name(name):
            raise ModelArtifactError(
                version, _shown(name), "is not a plain file name in its version folder; refusing to read it"
            )
        return f"{version}/{name}"

    def _read_version_file(self, version: str, name: object) -> bytes:
        """A version's file (FileNotFoundError when absent); one that leads out of its folder is refused."""
        key = self._file_key(version, name)
        try:
            return self._read_bytes(key)
        except OutsideFolderError:
            problem = "is a link leading out of its version folder; refusing to read it"
            raise ModelArtifactError(version, str(name), problem, self.location(key)) from None

    def attach_file(self, version: str, name: str, data: bytes) -> str:
        """Add a file to an existing version (e.g. the model card, written once the promotion is decided);
        the artifact and the record can never be replaced this way. Returns its location."""
        version = self.check_version(version)
        if not is_file_name(name) or name in (RECORD_FILE, ARTIFACT_NAME):
            raise ValueError(f"cannot attach a file named {_shown(name)} to model {version}")
        if not self._exists(f"{version}/{RECORD_FILE}"):
            raise NotReadyError(f"model version {version} not found in {self.location()}")
        self._write_bytes(f"{version}/{name}", data)
        return self.location(f"{version}/{name}")

    def delete_version(self, version: str) -> int:
        """Remove a stored version (model garbage collection, imdb_assets/model/retention.py); returns the
        bytes freed. The record goes first, so from the first deletion on the version no longer exists
        (a delete cut short leaves stray files, never a half model that loads). The champion and
        `latest` are refused."""
        version = self.check_version(version)
        if version in (self.champion_version(), self.latest_trained_version()):
            raise ValueError(f"model {version} is the champion or the latest model; it cannot be deleted")
        names = [n for n in self._list(version) if is_file_name(n)]
        freed = 0
        for name in sorted(names, key=lambda n: n != RECORD_FILE):  # the record first
            key = f"{version}/{name}"
            freed += self._size(key)
            self._delete(key)
        self._delete_folder(version)
        return freed

    def version_size(self, version: str) -> int:
        """Bytes of every file stored with a version."""
        return sum(self._size(f"{version}/{name}") for name in self.version_files(version))

    def _size(self, key: str) -> int:
        return len(self._read_bytes(key))

    def _delete_folder(self, prefix: str) -> None:
        """Remove the now-empty folder of a deleted version (object stores have none)."""

    def version_files(self, version: str) -> list[str]:
        """Every file stored with a version (artifact, record, plots, card); names the store could not
        have written are left out."""
        return [name for name in self._list(self.check_version(version)) if is_file_name(name)]

    def read_file(self, version: str, name: str) -> bytes:
        return self._read_version_file(version, name)

    def file_location(self, version: str, name: str) -> str:
        return self.location(self._file_key(version, name))

    def latest_trained_version(self) -> str | None:
        """The most recently saved version (champion or not), or None."""
        return self._read_pointer(LATEST_POINTER)

    def latest_version(self) -> str:
        version = self._read_pointer(LATEST_POINTER)
        if version is None:
            raise NotReadyError(
                f"no trained model in {self.location()}: materialize the graph first (`make run` or `imdb-assets run`)"
            )
        return version

    # ---- loading -----------------------------------------------------------------------------------
    def load(self, version: str | None = None) -> LoadedModel:
        """The given version, or the champion; its checksum verified before it is read."""
        from imdb_assets.model import serialization  # scikit-learn, only when a model is rebuilt

        if version is None:
            version = self.champion_version()
            if version is None:
                trained = self._read_pointer(LATEST_POINTER)
                hint = (
                    f"models were trained (latest {trained}) but none beat the promotion rules; see `imdb-assets model list`"
                    if trained
                    else "materialize the graph first (`make run` or `imdb-assets run`)"
                )
                raise NotReadyError(f"no trained model is champion in {self.location()}: {hint}")
        record = self.record(version)
        name, artifact = self.read_artifact(version, record)
        try:
            pipeline = serialization.loads(artifact)
        except serialization.ModelFormatError as exc:
            where = self.location(f"{version}/{name}")
            raise ModelArtifactError(version, name, f"cannot be read: {exc}", where) from None
        return LoadedModel(version, pipeline, record)

    def read_artifact(self, version: str, record: dict) -> tuple[str, bytes]:
        """The artifact's file name and bytes, once its format, name and sha256 check out against `record`."""
        self._check_format(version, record)
        name = self._artifact_name(version, record)
        where = self.location(f"{version}/{name}")
        try:
            artifact = self._read_version_file(version, name)
        except FileNotFoundError:
            raise CorruptModelError(version, name, "is missing; refusing to load it", where) from None
        actual, recorded = sha256_hex(artifact), record.get("sha256")
        if actual != recorded:
            raise CorruptModelError(
                version,
                name,
                f"has sha256 {actual[:12]}, not the {str(recorded)[:12]} recorded when it was saved "
                "(changed or damaged since); refusing to load it",
                where,
            )
        return name, artifact

    def _check_format(self, version: str, record: dict) -> None:
        saved_in = record.get("format")
        if saved_in != FORMAT:
            shown = _shown(saved_in) if saved_in else repr("joblib (pickle)")
            raise ModelArtifactError(
                version,
                RECORD_FILE,
                f"says the model was saved in format {shown}, which this version does not load (only {FORMAT}); "
                "retrain it with `imdb-assets run`",
                self.location(f"{version}/{RECORD_FILE}"),
            )

    def _artifact_name(self, version: str, record: dict) -> str:
        name = record.get("artifact", ARTIFACT_NAME)
        if not is_file_name(name):
            raise ModelArtifactError(
                version,
                RECORD_FILE,
                f"names artifact {_shown(name)}, not a plain file name in its version folder; refusing to load it",
                self.location(f"{version}/{RECORD_FILE}"),
            )
        return name

    # ---- champion and audit log --------------------------------------------------------------------
    def champion_version(self) -> str | None:
        return self._read_pointer(CHAMPION_POINTER)

    def set_champion(self, version: str, reason: str, actor: str = "pipeline", details: dict | None = None) -> dict:
        """Point `champion` at `version` (after proving it loads) and log the decision; return the log entry."""
        self.load(version)  # never promote something that cannot be served
        previous = self.champion_version()
        entry = self._audit("promoted", version, previous, reason, actor, details)
        self._write_text(CHAMPION_POINTER, version)
        return entry

    def log_kept_champion(
        self, challenger: str, reason: str, actor: str = "pipeline", details: dict | None = None
    ) -> dict:
        """Log that `challenger` was not promoted (the champion, if any, stays)."""
        return self._audit("kept_champion", challenger, self.champion_version(), reason, actor, details)

    def _audit(
        self, decision: str, version: str, previous: str | None, reason: str, actor: str, details: dict | None
    ) -> dict:
        at = _now()
        entry = {
            "at": at.isoformat(),
            "decision": decision,
            "version": version,
            "champion_before": previous,
            "actor": actor,
            "reason": reason,
        }
        if details:
            entry["details"] = details
        self._write_text(
            f"{AUDIT_PREFIX}/{at:%Y%m%dT%H%M%S%f}-{decision}-{version}.json",
            json.dumps(entry, indent=2, sort_keys=True, default=str),
        )
        return entry

    def audit_log(self) -> list[dict]:
        """Every champion decision, oldest first."""
        names = sorted(n for n in self._list(AUDIT_PREFIX) if n.endswith(".json"))
        return [json.loads(self._read_text(f"{AUDIT_PREFIX}/{name}")) for name in names]


class LocalModelStore(ModelStore):
    """The store in a local folder (keys are relative paths below `root`)."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key if key else self.root

    def _read_bytes(self, key: str) -> bytes:
        return self._confined(key).read_bytes()

    def _confined(self, key: str) -> Path:
        """The file of `key`, checked to resolve inside the folder the key names (links followed)."""
        path = self._path(key)
        folder = self.root.resolve() / Path(key).parent
        if not path.resolve().is_relative_to(folder):
            raise OutsideFolderError(f"{path} leads outside {self._path(str(Path(key).parent))}; refusing to read it")
        return path

    def _write_bytes(self, key: str, data: bytes) -> None:
        # 0644 (a server running as another user must read models), synced, folder synced.
        atomic_write_bytes(self._path(key), data)

    def _list(self, prefix: str) -> list[str]:
        folder = self._path(prefix)
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))

    def _exists(self, key: str) -> bool:
        return self._path(key).exists()

    def location(self, key: str = "") -> str:
        return str(self._path(key))

    def _delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def _size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def _delete_folder(self, prefix: str) -> None:
        folder = self._path(prefix)
        for leftover in folder.glob(".*"):  # temporary files of a write cut short
            if leftover.is_file():
                leftover.unlink()
        try:
            folder.rmdir()
        except FileNotFoundError:
            pass
