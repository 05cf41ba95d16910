"""The champion the server answers with, swapped in place when a new one is promoted (no Dagster).

A background thread reads the store's champion pointer every few seconds (`champion_version()`, one
small read); when it names another version, that version is loaded, checksummed and prepared off the
request path, and only then published with a single reference assignment. A request takes
`holder.current` once and uses that object to the end, so requests in flight finish on the model they
started with. A champion that cannot be loaded is reported and skipped; the previous one keeps serving.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from imdb_assets.model.store import ModelStore
from imdb_assets.serving.batch_predictor import ServingModel, prepare_serving_model

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HolderStatus:
    ready: bool
    model_version: str | None
    detail: str  # why it is not ready, or the last failed reload while an older champion keeps serving


class ChampionHolder:
    def __init__(self, store: ModelStore, poll_seconds: float = 2.0):
        self.store = store
        self.poll_seconds = poll_seconds
        self.current: ServingModel | None = None
        self._problem = ""
        self._failed_version: str | None = None
        self._reload_lock = threading.Lock()
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None

    def refresh(self) -> bool:
        """Load the champion if the pointer names a version other than the one served; True if swapped."""
        with self._reload_lock:  # one loader at a time; readers never wait on it
            try:
                version = self.store.champion_version()
            except Exception as exc:  # noqa: BLE001 - storage unreachable for a moment: keep serving what we have
                self._problem = f"cannot read the champion pointer in {self.store.location()}: {' '.join(str(exc).split())}"
                return False
            if version is None:
                if self.current is None:
                    self._problem = self._no_champion_reason()
                return False
            if self.current is not None and version == self.current.version:
                self._failed_version, self._problem = None, ""  # e.g. rolled back from a damaged champion
                return False
            if version == self._failed_version:
                return False  # already reported; retried when the pointer moves again
            try:
                started = time.perf_counter()
                candidate = prepare_serving_model(self.store.load(version))
            except Exception as exc:  # noqa: BLE001 - a champion that cannot be loaded (damaged, unknown format) must not stop serving
                self._failed_version = version
                self._problem = f"champion {version} could not be loaded: {' '.join(str(exc).split())}"
                logger.error("%s; still serving %s", self._problem, self.current.version if self.current else "nothing")
                return False
            previous = self.current
            self.current = candidate  # the swap: one reference assignment, atomic for readers
            self._failed_version = None
            self._problem = ""
            logger.info(
                "serving champion %s (was %s; loaded in %.2f s, %s scorer)",
                candidate.version,
                previous.version if previous else "none",
                time.perf_counter() - started,
                "compiled" if candidate.compiled else "pipeline",
            )
            return True

    def _no_champion_reason(self) -> str:
        trained = self.store.latest_trained_version()
        if trained:
            return f"no champion in {self.store.location()} yet: model {trained} was trained but not promoted (see `imdb-assets model list`)"
        return f"no champion in {self.store.location()} yet: train one first (`imdb-assets run`)"

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
