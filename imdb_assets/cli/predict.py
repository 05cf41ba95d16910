"""`imdb-assets predict`: will a viewer enjoy this movie?

Kept light on purpose: the champion is scored straight from its file (`serving/file_model.py`), so
an answer costs the import of numpy, not of scikit-learn, pandas or the asset graph.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time

from imdb_assets.cli.arguments import add_command

DESCRIPTION = """
Answer "will a viewer enjoy this movie?" with the champion model (the one promoted by `imdb-assets
run` or `imdb-assets model promote`) from a title and its IMDb genres.

A genre the model never saw is an error naming the closest known genres, unless
--allow-unknown-genres, which ignores it and says so on stderr.

The answer is logged to $IMDB_ASSETS_HOME/predictions/ (as `imdb-assets serve` logs its answers), with
--tconst if given, so `imdb-assets monitor` can score it once IMDb rates the movie.
"""

EXAMPLES = [
    'imdb-assets predict --title "The Matrix" --genres Action,Sci-Fi',
    "imdb-assets predict --title Heat --genres Crime,Drama --json",
    "imdb-assets predict --title Heat --genres Crime,Drama --tconst tt0113277",
    'imdb-assets predict --title "Space Cats" --genres Comedy,Space-Opera --allow-unknown-genres',
]


TCONST = re.compile(r"^tt[0-9]{7,}$")  # contracts/raw_imdb.py's TCONST_PATTERN, without importing pandera


def _tconst(text: str) -> str:
    if not TCONST.match(text):
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not an IMDb id (tt followed by at least 7 digits)")
    return text


def _cmd_predict(args: argparse.Namespace) -> int:
    from imdb_assets.model.training_data import describe, kind_of, warning
    from imdb_assets.model_store_for_env import model_store_for_env
    from imdb_assets.serving.file_model import load_champion
    from imdb_assets.serving.genre_suggestions import unknown_genres_message, with_suggestions
    from imdb_assets.serving.prediction_log import LoggedItem, LoggedRequest, log_synchronously, new_request_id
    from imdb_assets.serving.prediction_log_store import prediction_log_store_for_env

    # No version: the champion (the model promoted by the pipeline or `imdb-assets model promote`).
    model = load_champion(model_store_for_env())
    prediction = model.predict(args.title, args.genres)
    if prediction.unknown_genres and not args.allow_unknown_genres:
        raise ValueError(unknown_genres_message(prediction.suggestions, model.known_genres))
    answer = {
        "label": prediction.label,
        "probability": round(prediction.probability, 6),
        "threshold": prediction.threshold,
        "model_version": prediction.model_version,
        "unknown_genres": prediction.unknown_genres,
        "suggestions": prediction.suggestions,
        "training_data": kind_of(model.record),  # synthetic, real or unknown
        "trained_on": describe(model.record),
    }
    if not args.no_prediction_log:
        # Synchronously: the command exits right after.
        item = LoggedItem(args.title, args.genres, args.tconst)
        logged = LoggedRequest(time.time(), new_request_id(), prediction.model_version, prediction.threshold, [item], [answer])
        problem = log_synchronously(prediction_log_store_for_env(), logged)
        if problem:  # the answer stands; only its record is missing
            print(f"note: the answer was not logged: {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps(answer))
    else:
        # Most movies are rated >= 5, so the threshold sits high: show both numbers side by side.
        verdict, sign = ("will enjoy", ">=") if prediction.label else ("will not enjoy", "<")
        print(
            f"{verdict} (probability of enjoying {prediction.probability:.1%} {sign} "
            f"threshold {prediction.threshold:.1%}, model {prediction.model_version})"
        )
    if prediction.unknown_genres:
        note = with_suggestions(prediction.suggestions)
        print(f"note: genres unknown to the model were ignored: {note}", file=sys.stderr)
    if warning(model.record):
        print(f"note: {warning(model.record)}", file=sys.stderr)
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    predict = add_command(
        commands,
        "predict",
        help="will a viewer enjoy this movie? (uses the champion model)",
        description=DESCRIPTION,
        examples=EXAMPLES,
    )
    predict.add_argument("--title", required=True, help="the movie's title, as IMDb writes it")
    predict.add_argument(
        "--genres", default="", help="its IMDb genres, comma-separated, e.g. Comedy,Drama (default: none)"
    )
    predict.add_argument("--tconst", type=_tconst, help="the movie's IMDb id (e.g. tt0133093), logged with the answer")
    predict.add_argument("--no-prediction-log", action="store_true", help="do not log the answer")
    predict.add_argument(
        "--allow-unknown-genres",
        action="store_true",
        help="ignore genres the model never saw (noted on stderr) instead of refusing them",
    )
    predict.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object: label, probability, threshold, model_version, unknown_genres, suggestions, training_data, trained_on",
    )
    predict.set_defaults(handler=_cmd_predict)
