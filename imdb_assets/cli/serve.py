"""`imdb-assets serve`: the champion model over HTTP (JSON API, /docs and a page at /), under uvicorn."""

from __future__ import annotations

import argparse
import sys

from imdb_assets.cli.arguments import add_command, command_texts
from imdb_assets.errors import one_line

DESCRIPTION = """
Serve the champion model over HTTP under uvicorn: POST /predict (one movie or a batch), GET /model,
GET /health, the API docs at /docs and a page at / to try it in a browser.

A newly promoted champion is picked up while the server runs, without a restart; until there is one,
/health and /predict answer 503.

Every answered prediction is logged (time, request id, model version, title, genres, probability,
label, threshold and the item's tconst if sent) to $IMDB_ASSETS_HOME/predictions/ (prod: predictions/
under the lake), in batches written by a background thread; `imdb-assets monitor` reads them.
"""

EXAMPLES = [
    "imdb-assets serve",
    "imdb-assets serve --port 8123 --host 0.0.0.0",
    "imdb-assets serve --models-dir /srv/models --poll-seconds 10 --access-log",
    "imdb-assets serve --no-prediction-log",
]


def _number(text: str, kind: type, what: str, smallest: float, largest: float = float("inf")):
    """`text` as a number in [smallest, largest], else an argparse error quoting the input cut short."""
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not smallest <= value <= largest:
        raise argparse.ArgumentTypeError(f"{one_line(repr(text), 40)} is not {what}")
    return value


def _positive_int(text: str) -> int:
    return _number(text, int, "a positive integer", 1)


def _positive_float(text: str) -> float:
    return _number(text, float, "a positive number of seconds (at most a day)", sys.float_info.min, 86400)


def _port(text: str) -> int:
    return _number(text, int, "a TCP port (0 to 65535)", 0, 65535)


def _cmd_serve(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from imdb_assets.model_store_for_env import model_store_for_env
    from imdb_assets.serving.app import create_app
    from imdb_assets.serving.prediction_log import PredictionLog
    from imdb_assets.serving.prediction_log_store import prediction_log_store_at, prediction_log_store_for_env

    # Our own loggers (model swaps, failed reloads) next to uvicorn's, on stderr.
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s", stream=sys.stderr)
    store = args.models_dir or model_store_for_env()  # a folder, or the environment's store (GCS in prod)
    prediction_log = None
    if not args.no_prediction_log:
        log_store = prediction_log_store_at(args.prediction_log_dir) if args.prediction_log_dir else prediction_log_store_for_env()
        prediction_log = PredictionLog(log_store, flush_seconds=args.log_flush_seconds)
        logging.getLogger(__name__).info("logging predictions to %s", log_store.location())
    app = create_app(store, max_batch=args.max_batch, poll_seconds=args.poll_seconds, prediction_log=prediction_log)
    # Access logs cost ~10% of a small request; ask for them with --access-log.
    uvicorn.run(app, host=args.host, port=args.port, access_log=args.access_log, server_header=False, log_level="info")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8000, help="TCP port to listen on (default: 8000)")
    parser.add_argument("--models-dir", help="model store folder (default: the environment's store, $IMDB_ASSETS_HOME/models locally)")
    parser.add_argument("--max-batch", type=_positive_int, default=1000, help="most movies in one POST /predict (default: 1000)")
    parser.add_argument("--poll-seconds", type=_positive_float, default=2.0, help="how often to look for a new champion (default: 2)")
    parser.add_argument("--access-log", action="store_true", help="log every request")
    parser.add_argument("--no-prediction-log", action="store_true", help="do not record the answered predictions")
    parser.add_argument(
        "--prediction-log-dir", help="where to record them (default: $IMDB_ASSETS_HOME/predictions; prod: predictions/ under the lake)"
    )
    parser.add_argument(
        "--log-flush-seconds", type=_positive_float, default=1.0,
        help="how often queued predictions are written as a batch (default: 1); a killed server loses at most this much",
    )
    parser.set_defaults(handler=_cmd_serve)


def register(commands: argparse._SubParsersAction) -> None:
    help = "serve the champion model over HTTP: API, /docs and a page at /"
    add_arguments(add_command(commands, "serve", help=help, description=DESCRIPTION, examples=EXAMPLES))


if __name__ == "__main__":  # `python -m imdb_assets.cli.serve ...`: the same command without the CLI package
    parser = argparse.ArgumentParser(prog="imdb-assets serve", **command_texts(DESCRIPTION, EXAMPLES))
    add_arguments(parser)
    parsed = parser.parse_args()
    sys.exit(parsed.handler(parsed))
