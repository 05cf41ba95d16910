"""The champion the server answers with, swapped in place when a new one is promoted (no Dagster).

A background thread reads the store's champion pointer every few seconds (`champion_version()`, one
small read); when it names another version, that version is loaded, checksummed and prepared off the
request path, and only then published with a single reference assignment. A request takes
`holder.current` once and uses that object to the end, so requests in flight finish on the model they
started with. A champion that cannot be loaded is reported and skipped; the previous one keeps serving.

What /health and the 503s say about a problem names the version and what is wrong, never where the
store lives: that, with the full error, goes to the server's log.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from imdb_assets.errors import NotReadyError, one_line
from imdb_assets.model.store import ModelArtifactError, ModelStore
from imdb_assets.serving.batch_predictor import ServingModel, prepare_serving_model

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HolderStatus:
    ready: bool
    model_version: str | None
    detail: str  # why it is not ready, or the last failed reload while an older champion keeps serving


def public_problem(exc: Exception, store: ModelStore) -> str:
    """What went wrong, without where the store lives: answers leave the machine, the log keeps the paths."""
    if isinstance(exc, ModelArtifactError):
        return exc.public
    if isinstance(exc, NotReadyError):  # the store's own messages: only its location is to be hidden
        return str(exc).replace(store.location(), "the model store")
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror} ({type(exc).__name__}; details in the server log)"
    return f"{type(exc).__name__} (details in the server log)"


def _version_in(store: ModelStore, pointer: str | None) -> str | None:
    """The version a pointer names, or None when it holds anything else (never echoed: it may be a path)."""
    try:
        return store.check_version(pointer) if pointer else None
    except NotReadyError:
        return None


class ChampionHolder:
    def __init__(self, store: ModelStore, poll_seconds: float = 2.0):
        self.store = store
        self.poll_seconds = poll_seconds
        self.current: ServingModel | None = None
        self._problem = ""
        self._logged_problem = ""
        self._failed_version: str | None = None
        self._reload_lock = threading.Lock()
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None

    def _report(self, public: str, logged: str, level: int = logging.WARNING) -> None:
        """Show `public` in /health (one line, no paths); log `logged` (with paths) once per new problem."""
        self._problem = one_line(public)
        if logged != self._logged_problem:
            logger.log(level, "%s", logged)
            self._logged_problem = logged

    def _clear(self) -> None:
        self._failed_version, self._problem, self._logged_problem = None, "", ""

    def refresh(self) -> bool:
        """Load the champion if the pointer names a version other than the one served; True if swapped."""
        with self._reload_lock:  # one loader at a time; readers never wait on it
            try:
                pointer = self.store.champion_version()
            except Exception as exc:  # noqa: BLE001 - storage unreachable for a moment: keep serving what we have
                self._report(
                    f"cannot read the champion pointer of the model store: {public_problem(exc, self.store)}",
                    f"cannot read the champion pointer in {self.store.location()}: {one_line(str(exc))}",
                )
                return False
            if pointer is None:
                if self.current is None:
                    self._report_no_champion()
                return False
            version = _version_in(self.store, pointer)
            if version is None:
                held = one_line(repr(pointer), 80)
                self._report(
                    "the champion pointer of the model store names no model version (see `imdb-assets model list`)",
                    f"the champion pointer in {self.store.location()} holds {held}, not a model version",
                )
                return False
            if self.current is not None and version == self.current.version:
                self._clear()  # e.g. rolled back from a damaged champion
                return False
            if version == self._failed_version:
                return False  # already reported; retried when the pointer moves again
            return self._load(version)

    def _load(self, version: str) -> bool:
        try:
            started = time.perf_counter()
            candidate = prepare_serving_model(self.store, version)
        except Exception as exc:  # noqa: BLE001 - a champion that cannot be loaded must not stop serving
            self._failed_version = version
            serving = self.current.version if self.current else "nothing"
            problem = public_problem(exc, self.store).removeprefix(f"model {version}: ")
            self._report(
                f"champion {version} could not be loaded: {problem}",
                f"champion {version} could not be loaded: {one_line(str(exc), 1000)}; still serving {serving}",
                logging.ERROR,
            )
            return False
        previous = self.current
        self.current = candidate  # the swap: one reference assignment, atomic for readers
        self._clear()
        logger.info(
            "serving champion %s (was %s; loaded, compiled and checked against scikit-learn in %.2f s)",
            candidate.version,
            previous.version if previous else "none",
            time.perf_counter() - started,
        )
        return True

    def _report_no_champion(self) -> None:
        try:
            trained = _version_in(self.store, self.store.latest_trained_version())
        except Exception as exc:  # noqa: BLE001 - an unreadable `latest` only loses the hint
            logger.warning("cannot read the latest pointer in %s: %s", self.store.location(), one_line(str(exc)))
            trained = None
        hint = (
            f"model {trained} was trained but not promoted (see `imdb-assets model list`)"
            if trained
            else "train one first (`imdb-assets run`)"
        )
        self._report(
            f"no champion in the model store yet: {hint}", f"no champion in {self.store.location()} yet: {hint}"
        )

    def status(self) -> HolderStatus:
        current = self.current
        if current is None:
            return HolderStatus(False, None, self._problem or "the champion model is still loading")
        return HolderStatus(True, current.version, self._problem)

    def start_polling(self) -> None:
        if self._poller is None:
            self._poller = threading.Thread(target=self._poll, name="champion-poller", daemon=True)
            self._poller.start()

    def stop_polling(self) -> None:
        self._stop.set()
        if self._poller is not None:
            self._poller.join(timeout=10)
            self._poller = None

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.refresh()
            except Exception:  # a surprise must not kill the poller and freeze the champion
                logger.exception("champion poll failed")
