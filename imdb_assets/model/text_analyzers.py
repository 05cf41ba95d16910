"""scikit-learn's text analyzers re-stated for the vectorizer settings a stored model holds (stdlib only).

A fitted Count/Tfidf vectorizer turns a text into terms: lower-case it, then word n-grams of its
`token_pattern` tokens (or of a named tokenizer's), or character n-grams (`char`, or `char_wb` within
words). These functions do the same for a vectorizer's saved settings, so a model file can be scored
without importing scikit-learn; the tests hold them equal to `build_analyzer()` on real titles.
`analyzer_for` returns None for settings not re-stated here (stop words, accent stripping, ...).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from imdb_assets.model.genre_tokens import TOKENIZERS, genre_pair_tokens, genre_tokens  # noqa: F401

Analyzer = Callable[[str], list[str]]

_WHITE_SPACES = re.compile(r"\s\s+")  # sklearn joins runs of white space before character n-grams


def word_ngrams(tokens: Sequence[str], min_n: int, max_n: int) -> list[str]:
    """The tokens' n-grams for n in min_n..max_n, joined by spaces, in sklearn's order (unigrams first)."""
    grams = list(tokens) if min_n == 1 else []
    for n in range(max(min_n, 2), min(max_n, len(tokens)) + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


def char_ngrams(text: str, min_n: int, max_n: int) -> list[str]:
    text = _WHITE_SPACES.sub(" ", text)
    grams = list(text) if min_n == 1 else []
    for n in range(max(min_n, 2), min(max_n, len(text)) + 1):
        grams.extend(text[i : i + n] for i in range(len(text) - n + 1))
    return grams


def char_wb_ngrams(text: str, min_n: int, max_n: int) -> list[str]:
    """Character n-grams of each space-padded word; a word shorter than n gives itself once, then no longer n."""
    grams: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text).split():
        padded = f" {word} "
        for n in range(min_n, max_n + 1):
            grams.extend(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
            if len(padded) <= n:  # as sklearn: the whole padded word was the only n-gram, longer n add nothing
                break
    return grams


def _ngram_range(value) -> tuple[int, int] | None:
    if not (isinstance(value, Sequence) and len(value) == 2 and all(type(n) is int for n in value)):
        return None
    min_n, max_n = value
    return (min_n, max_n) if 1 <= min_n <= max_n else None


def _word_tokenizer(params: dict, tokenizer: str | None) -> Callable[[str], list[str]] | None:
    if tokenizer is not None:
        return TOKENIZERS.get(tokenizer)
    pattern = params.get("token_pattern")
    if not isinstance(pattern, str):
        return None
    try:
        compiled = re.compile(pattern)
    except re.error:  # a pattern scikit-learn could not compile either: the full load names it
        return None
    return compiled.findall if compiled.groups <= 1 else None  # sklearn refuses more than one group


def analyzer_for(params: dict, tokenizer: str | None = None) -> Analyzer | None:
    """The analyzer of a vectorizer with these saved settings, or None when they hold anything else."""
    ngram_range = _ngram_range(params.get("ngram_range"))
    lowercase = params.get("lowercase")
    if ngram_range is None or not isinstance(lowercase, bool) or params.get("strip_accents") is not None:
        return None
    min_n, max_n = ngram_range
    kind = params.get("analyzer")
    if kind == "word":
        tokenize = _word_tokenizer(params, tokenizer)
        if tokenize is None:
            return None
        return lambda text: word_ngrams(tokenize(text.lower() if lowercase else text), min_n, max_n)
    ngrams = {"char": char_ngrams, "char_wb": char_wb_ngrams}.get(kind) if isinstance(kind, str) else None
    if ngrams is None:
        return None
    return lambda text: ngrams(text.lower() if lowercase else text, min_n, max_n)
