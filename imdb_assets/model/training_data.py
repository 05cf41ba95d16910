"""What data a model was trained on, said plainly: the snapshot's source, and whether it is synthetic.

The bundled sample (`imdb_assets/ingest/sample/`) is synthetic: made by `imdb_assets/synth/` to look like
IMDb's files, with ratings that follow made-up rules. A model trained on it answers for real films, but
those answers are not meaningful, and the person asking has to be told so: the model card, `model show`,
`predict` and the server's answers and page read `describe` / `warning` of the record's `training_data`.
Pure Python (no Dagster, no scikit-learn): `predict` imports it.
"""

from __future__ import annotations

from pathlib import Path

from imdb_assets.settings import BUNDLED_SAMPLE_DIR

SYNTH_MANIFEST = "synth.json"  # imdb_assets/synth/manifest.py's MANIFEST_FILE: a synthetic folder holds one
HOW_TO_TRAIN_ON_IMDB = (
    "to train on IMDb's own files: `imdb-assets run --source https://datasets.imdbws.com/` "
    "(or --source a folder holding title.basics.tsv.gz and title.ratings.tsv.gz)"
)


def _folder_of(source: str) -> Path | None:
    if not source or "://" in source:
        return None
    path = Path(source)
    return path.parent if path.suffix == ".gz" else path


def training_data(source: str | None, snapshot_date: str) -> dict:
    """The record's `training_data` for a model trained on the snapshot loaded from `source` (a file,
    folder or URL; None when the ingest that loaded it is not known)."""
    folder = _folder_of(source or "")
    if source is None:
        kind = "unknown"
    elif folder is not None and (
        folder.resolve() == BUNDLED_SAMPLE_DIR.resolve() or (folder / SYNTH_MANIFEST).is_file()
    ):
        kind = "synthetic"
    else:
        kind = "real"
    return {"source": source, "snapshot_date": snapshot_date, "kind": kind, "synthetic": kind == "synthetic"}


def kind_of(record: dict) -> str:
    """"synthetic", "real" or "unknown" (a model recorded before its training data was)."""
    return (record.get("training_data") or {}).get("kind", "unknown")


def describe(record: dict) -> str:
    """One line: what the model was trained on."""
    data = record.get("training_data") or {}
    kind = kind_of(record)
    if kind == "unknown":
        return "trained on data of unknown origin (recorded before the training source was)"
    where = public_source(data.get("source"))
    label = "synthetic" if kind == "synthetic" else "IMDb-format"
    return f"trained on {label} data: snapshot {data.get('snapshot_date') or '?'} from {where}"


def warning(record: dict) -> str | None:
    """What a person must be told with every answer of a model trained on synthetic data (None otherwise)."""
    if kind_of(record) != "synthetic":
        return None
    return f"this model was {describe(record)}: its answers for real films are not meaningful; {HOW_TO_TRAIN_ON_IMDB}"


def public_source(source: str | None) -> str:
    """The source as it may be shown to anyone: a URL as it is, a local folder by its name only (the
    server never shows a path of its machine; the record keeps the whole path for `model show`)."""
    if _is_bundled(source):
        return "the bundled synthetic sample"
    folder = _folder_of(source or "")
    if folder is None:
        return source or "?"
    return f"the folder {folder.name!r}"


def public_training_data(record: dict) -> dict:
    """The record's `training_data` with its source in `public_source`'s words."""
    data = dict(record.get("training_data") or {"kind": "unknown"})
    if "source" in data:
        data["source"] = public_source(data["source"])
    return data


def _is_bundled(source: str | None) -> bool:
    folder = _folder_of(source or "")
    return folder is not None and folder.resolve() == BUNDLED_SAMPLE_DIR.resolve()
