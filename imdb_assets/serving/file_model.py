"""The champion for one-shot answers (`imdb-assets predict`): compiled from its file, numpy only.

`imdb-assets predict` asks one question and exits, and importing scikit-learn alone takes over a
second. The champion is scored by the one compiled scorer (`model/compiled_scorer.py`) that promotion and the
server use too, built from the model file without scikit-learn, pandas or scipy. The file is read
through the store (`read_artifact`), so its name, folder and checksum are checked as for a full load,
and any problem there is the store's one-line error. The comparison with scikit-learn at load is left to
promotion and the server (the champion passed it when it was promoted): here it would cost the second
of imports this path avoids. The tests hold its answers equal to the pipeline's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from imdb_assets.text_cleaning import normalise_title
from imdb_assets.model.store import ModelStore
from imdb_assets.model.compiled_scorer import CompiledModel, load_compiled
from imdb_assets.serving.predictor import Prediction, check_title, checked_genres, prediction_from


@dataclass(frozen=True)
class FileModel:
    """A champion ready for one-shot answers: its record and its compiled scorer."""

    compiled: CompiledModel

    @property
    def version(self) -> str:
        return self.compiled.version

    @property
    def record(self) -> dict:
        return self.compiled.record

    @property
    def known_genres(self) -> list[str]:
        return list(self.compiled.known_genres)

    def predict(self, title: str, genres: Sequence[str] | str) -> Prediction:
        """What `predictor.predict` answers for this model."""
        check_title(title)
        genre_list = checked_genres(genres)
        probability = float(self.compiled.score({"title_clean": [normalise_title(title)], "genres": [",".join(genre_list)]})[0])
        return prediction_from(probability, self.version, self.record, genre_list)


def load_champion(store: ModelStore) -> FileModel:
    """The champion, compiled from its file (raises the store's one-line error when there is none or it is damaged)."""
    version = store.champion_version()
    if version is None:
        store.load()  # the store's own one-line "no champion" error, with its hint
    return FileModel(load_compiled(store, version, check=False))
