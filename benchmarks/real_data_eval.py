"""Real-data evaluation (issue 18): the model, its baselines and the naive pipeline over repeated splits.

    python -m benchmarks.real_data_eval --source ../shared/realdata/imdb-films-2005   # make bench-model

1. `imdb-assets run --source SOURCE --json` in a fresh home: the project's own ingest, dbt filter,
   validated CSV, DVC dataset and `movie_features` (and a first model, which is not used here).
2. The features the pipeline wrote are re-split `--splits` times. Split 0 is the project's own split
   (md5 of tconst); split k > 0 hashes `tconst + "#k"` the same way (features/prepare.py), so every split
   keeps the project's shares (20 % test, 16 % validation) and its fitting/validation/test roles.
3. On each split, on the same rows: the model (`model.train.train_and_evaluate`, as the asset trains it),
   the genres-only and majority baselines it reports beside itself, and the seed's naive pipeline
   (benchmarks/scale/naive_baseline.py: regex-cleaned "title-genres", TF-IDF character 2-5-grams, SGD
   5 epochs, fitted on the whole train split, label cut at 0.5).
4. Per approach and metric: mean, standard deviation and a 95 % interval of the mean (Student t over
   the splits); and the paired gap "model minus genres only" in ROC AUC (what the title adds).

The test rows of a split are only ever scored: the model chooses its candidate, calibration and threshold
on the validation rows of that split. Prints a table; writes `benchmarks/results/real-data-<UTC>.json`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

REPO_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_DIR / "benchmarks" / "results"
DEFAULT_SOURCE = REPO_DIR.parent / "shared" / "realdata" / "imdb-films-2005"
METRICS = ("roc_auc", "pr_auc", "balanced_accuracy", "log_loss", "brier")
APPROACHES = ("model", "genres_only", "majority", "naive")
CLI = "import sys; from imdb_assets.cli import main; sys.exit(main())"
# Two-sided 97.5 % quantiles of Student's t by degrees of freedom (scipy is not needed for five numbers).
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228}
TARGETS = {"roc_auc": 0.69, "balanced_accuracy": 0.64, "title_adds_roc_auc": 0.02}


def run_pipeline(source: Path, home: Path) -> pd.DataFrame:
    """The project's own run on `source` in `home`; the `movie_features` frame it wrote."""
    env = {**os.environ, "IMDB_ASSETS_HOME": str(home), "IMDB_ASSETS_ENV": "local"}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])  # dbt beside python
    done = subprocess.run(
        [sys.executable, "-c", CLI, "run", "--source", str(source), "--json"],
        env=env, cwd=REPO_DIR, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"imdb-assets run failed: {(done.stderr or done.stdout).strip().splitlines()[-1:]}")
    from imdb_assets.settings import LocalPaths

    return pd.read_parquet(LocalPaths(home).features_dir / "movie_features.parquet")


def resplit(features: pd.DataFrame, split: int) -> pd.DataFrame:
    """The features with split `split`: 0 is the project's own; k > 0 hashes `tconst#k` by the same rule."""
    from imdb_assets.contracts.features import with_rating_threshold
    from imdb_assets.features.prepare import test_split

    threshold = features.attrs.get("rating_threshold", 5.0)
    if split == 0:
        return features
    out = features.copy()
    out["tconst"] = (out["tconst"].astype(str) + f"#{split}").astype(features["tconst"].dtype)
    out["split"] = pd.array(test_split(out["tconst"]).to_numpy(), dtype=features["split"].dtype)
    return with_rating_threshold(out, threshold)


def naive_probability(train: pd.DataFrame, test: pd.DataFrame, seed: int) -> np.ndarray:
    """The seed's naive pipeline (benchmarks/scale/naive_baseline.py) fitted on `train`, scored on `test`."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier

    from benchmarks.scale.naive_baseline import EPOCHS, clean_text

    def texts(frame: pd.DataFrame) -> list[str]:
        return [f"{clean_text(t)}-{clean_text(g)}" for t, g in zip(frame["title"], frame["genres"])]

    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(2, 5))
    classifier = SGDClassifier(loss="log_loss", max_iter=EPOCHS, tol=None, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier.fit(vectorizer.fit_transform(texts(train)), train["label"])
    return classifier.predict_proba(vectorizer.transform(texts(test)))[:, 1]


def evaluate_split(features: pd.DataFrame, split: int, train_kwargs: dict | None = None) -> dict:
    """Every approach's test metrics on one split (the same test rows for all)."""
    from imdb_assets.model.evaluate import classification_metrics
    from imdb_assets.model.train import train_and_evaluate

    frame = resplit(features, split)
    started = time.perf_counter()
    trained = train_and_evaluate(frame, seed=split, **(train_kwargs or {}))
    seconds = time.perf_counter() - started
    results = {"model": trained.metrics}
    results.update({name: baseline.metrics for name, baseline in trained.baselines.items()})
    train_rows = frame[frame["split"] == "train"]
    naive = naive_probability(train_rows, trained.test, split)
    results["naive"] = classification_metrics(trained.test["label"].to_numpy(), naive, 0.5)
    return {
        "split": split,
        "test_rows": int(len(trained.test)),
        "test_negatives": int((trained.test["label"] == 0).sum()),
        "model_candidate": trained.params["candidate"],
        "train_seconds": round(seconds, 2),
        "metrics": {a: {m: float(results[a][m]) for m in METRICS} for a in APPROACHES},
        "slices": trained.slices,  # the model per genre and decade on this split's test rows
    }


def summary(values: list[float]) -> dict:
    """Mean, standard deviation and the 95 % interval of the mean over the splits."""
    array = np.asarray(values, dtype=float)
    mean = float(array.mean())
    sd = float(array.std(ddof=1)) if len(array) > 1 else 0.0
    half = _T975.get(len(array) - 1, 1.96) * sd / math.sqrt(len(array)) if len(array) > 1 else float("nan")
    return {"mean": mean, "sd": sd, "ci95": [mean - half, mean + half], "values": [float(v) for v in array]}


def aggregate(splits: list[dict]) -> dict:
    table = {
        approach: {metric: summary([s["metrics"][approach][metric] for s in splits]) for metric in METRICS}
        for approach in APPROACHES
    }
    gap = summary([s["metrics"]["model"]["roc_auc"] - s["metrics"]["genres_only"]["roc_auc"] for s in splits])
    return {"table": table, "title_adds_roc_auc": gap}


def render(result: dict) -> str:
    table, gap = result["aggregate"]["table"], result["aggregate"]["title_adds_roc_auc"]
    header = "| approach | " + " | ".join(METRICS) + " |"
    lines = [header, "|" + "---|" * (len(METRICS) + 1)]
    for approach in APPROACHES:
        cells = []
        for metric in METRICS:
            s = table[approach][metric]
            cells.append(f"{s['mean']:.4f} ± {s['sd']:.4f} [{s['ci95'][0]:.4f}, {s['ci95'][1]:.4f}]")
        lines.append(f"| {approach} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        f"title adds (model − genres only, ROC AUC, paired per split): {gap['mean']:+.4f} ± {gap['sd']:.4f} "
        f"[{gap['ci95'][0]:+.4f}, {gap['ci95'][1]:+.4f}]"
    )
    model = table["model"]
    checks = [
        ("ROC AUC", model["roc_auc"]["mean"], TARGETS["roc_auc"]),
        ("balanced accuracy", model["balanced_accuracy"]["mean"], TARGETS["balanced_accuracy"]),
        ("title adds ROC AUC", gap["mean"], TARGETS["title_adds_roc_auc"]),
    ]
    lines.append(
        "targets (mean over splits): "
        + "; ".join(f"{name} {value:.4f} {'>=' if value >= target else '<'} {target} " for name, value, target in checks)
    )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.real_data_eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of IMDb's .tsv.gz files")
    parser.add_argument("--splits", type=int, default=5, help="repeated splits (at least 5 for the report)")
    parser.add_argument("--features", type=Path, help="reuse a movie_features.parquet instead of running the pipeline")
    parser.add_argument("--no-save", action="store_true", help="print only; write no JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.splits < 2:
        raise SystemExit("--splits must be at least 2 for a spread")
    started = time.perf_counter()
    if args.features:
        features = pd.read_parquet(args.features)
    else:
        if not args.source.is_dir():
            raise SystemExit(f"--source {args.source} is not a folder of IMDb's .tsv.gz files")
        with tempfile.TemporaryDirectory(prefix="imdb-real-eval-") as home:
            features = run_pipeline(args.source.resolve(), Path(home))
    splits = []
    for split in range(args.splits):
        splits.append(evaluate_split(features, split))
        m = splits[-1]["metrics"]
        print(
            f"split {split}: model {m['model']['roc_auc']:.4f} / {m['model']['balanced_accuracy']:.4f}, "
            f"genres only {m['genres_only']['roc_auc']:.4f}, naive {m['naive']['roc_auc']:.4f} "
            f"({splits[-1]['model_candidate']}, {splits[-1]['train_seconds']} s)",
            flush=True,
        )
    result = {
        "benchmark": "real_data_eval",
        "utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": str(args.source),
        "movies": int(len(features)),
        "positive_share": round(float(features["label"].mean()), 4),
        "splits": splits,
        "aggregate": aggregate(splits),
        "targets": TARGETS,
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(render(result))
    from imdb_assets.model.slices import slices_table

    print("\nthe model by genre on split 0 (the project's own split):")
    print(slices_table(splits[0]["slices"]["genre"], "genre"))
    if not args.no_save:
        from imdb_assets.files import atomic_write_bytes

        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"real-data-{result['utc'].replace('-', '').replace(':', '')}.json"
        atomic_write_bytes(path, json.dumps(result, indent=2).encode("utf-8"))
        print(f"wrote {path.relative_to(REPO_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
