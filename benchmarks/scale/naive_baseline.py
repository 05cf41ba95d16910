"""The naive approach the project grew from, on the same filtered table and the same test split.

    python -m benchmarks.scale.naive_baseline --csv MOVIES_CSV --features MOVIE_FEATURES_PARQUET --result-file F

pandas loads the published CSV; every row is cleaned in a Python loop with regular expressions
(lower-case, punctuation set apart by spaces, English stop words dropped) for title and genres; the two
are joined as "title-genres"; TF-IDF over character 2-5-grams; an SGD logistic classifier trained for 5
epochs. The label and the train/test split are taken from our own `movie_features` (by tconst), so both
approaches are scored on exactly the same held-out movies with the same label.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import roc_auc_score

EPOCHS = 5
_PUNCTUATION = re.compile(r"([^\w\s])")
_SPACES = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Lower-case, punctuation spaced out, stop words dropped -- one row at a time, as the original did."""
    text = _PUNCTUATION.sub(r" \1 ", str(text).lower())
    words = [w for w in _SPACES.split(text) if w and w not in ENGLISH_STOP_WORDS]
    return " ".join(words)


def run(csv_path: Path, features_path: Path, seed: int = 0) -> dict:
    timings: dict[str, float] = {}
    t = time.perf_counter()
    movies = pd.read_csv(csv_path)
    timings["load"] = time.perf_counter() - t

    t = time.perf_counter()
    texts = []
    for row in movies.itertuples(index=False):
        texts.append(f"{clean_text(row.primaryTitle)}-{clean_text(row.genres)}")
    movies["text"] = texts
    timings["clean"] = time.perf_counter() - t

    # Our split and label, joined by tconst (not timed: it stands in for the naive code's own split).
    ours = pd.read_parquet(features_path, columns=["tconst", "label", "split"])
    frame = movies[["tconst", "text"]].merge(ours, on="tconst", how="inner", validate="one_to_one")
    train, test = frame[frame["split"] == "train"], frame[frame["split"] == "test"]

    t = time.perf_counter()
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(2, 5))
    x_train = vectorizer.fit_transform(train["text"])
    timings["tfidf_fit"] = time.perf_counter() - t

    t = time.perf_counter()
    classifier = SGDClassifier(loss="log_loss", max_iter=EPOCHS, tol=None, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 5 epochs is the baseline's budget, by design
        classifier.fit(x_train, train["label"])
    timings["train"] = time.perf_counter() - t

    t = time.perf_counter()
    probability = classifier.predict_proba(vectorizer.transform(test["text"]))[:, 1]
    timings["predict_test"] = time.perf_counter() - t

    return {
        "rows": len(movies),
        "matched_rows": len(frame),
        "train_rows": len(train),
        "test_rows": len(test),
        "features": len(vectorizer.vocabulary_),
        "roc_auc": float(roc_auc_score(test["label"], probability)),
        "seconds": {k: round(v, 3) for k, v in timings.items()},
        "total_seconds": round(sum(timings.values()), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale.naive_baseline")
    parser.add_argument("--csv", required=True, type=Path)
    parser.add_argument("--features", required=True, type=Path)
    parser.add_argument("--result-file", required=True, type=Path)
    args = parser.parse_args(argv)
    result = run(args.csv, args.features)
    args.result_file.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
