"""`imdb-assets predict`: will a viewer enjoy this movie?"""

from __future__ import annotations

import argparse
import json
import sys


def _cmd_predict(args: argparse.Namespace) -> int:
    from imdb_assets.model.store_for_env import model_store_for_env
    from imdb_assets.serving.predictor import predict

    # No version: the champion (the model promoted by the pipeline or `imdb-assets model promote`).
    model = model_store_for_env().load()
    prediction = predict(model, args.title, args.genres)
    answer = {
        "label": prediction.label,
        "probability": round(prediction.probability, 6),
        "threshold": prediction.threshold,
        "model_version": prediction.model_version,
    }
    if args.json:
        print(json.dumps(answer))
    else:
        # Most movies are rated >= 5, so the threshold sits high: show both numbers side by side.
        verdict, sign = ("will enjoy", ">=") if prediction.label else ("will not enjoy", "<")
        print(
            f"{verdict} (probability of enjoying {prediction.probability:.1%} {sign} threshold {prediction.threshold:.1%}, "
            f"model {prediction.model_version})"
        )
    if prediction.unknown_genres:
        print(
            f"note: genres unknown to the model were ignored: {', '.join(prediction.unknown_genres)}", file=sys.stderr
        )
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    predict = commands.add_parser("predict", help="will a viewer enjoy this movie? (uses the champion model)")
    predict.add_argument("--title", required=True)
    predict.add_argument("--genres", default="", help="comma-separated, e.g. Comedy,Drama")
    predict.add_argument("--json", action="store_true")
    predict.set_defaults(handler=_cmd_predict)
