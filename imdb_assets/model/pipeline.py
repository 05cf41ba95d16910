"""The classifier: title words, title character n-grams and multi-hot genres into a logistic regression."""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline


def genre_tokens(genres: str) -> list[str]:
    """Tokenizer for the comma-joined genre column (module level so the fitted model can be reloaded)."""
    return [g for g in genres.split(",") if g]


def build_pipeline(C: float = 1.0, seed: int = 0) -> Pipeline:
    features = ColumnTransformer(
        [
            ("title_words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True), "title_clean"),
            ("title_chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=3, sublinear_tf=True, max_features=50_000), "title_clean"),
            # Unknown genres at prediction time are ignored by the fitted vocabulary.
            ("genres", CountVectorizer(tokenizer=genre_tokens, lowercase=False, binary=True, token_pattern=None), "genres"),
        ]
    )
    classifier = LogisticRegression(C=C, class_weight="balanced", max_iter=2000, random_state=seed)
    return Pipeline([("features", features), ("classifier", classifier)])
