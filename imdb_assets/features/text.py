"""Title and genre normalisation shared by training and serving (pure Python, no Dagster)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_TRAILING_ARTICLE = re.compile(r"^(?P<rest>.+),\s*(?P<article>the|a|an|le|la|les|el|los|las|il|der|die|das)$", re.IGNORECASE)
_ROMAN_SEQUEL = re.compile(r"\b(ii|iii|iv|v|vi|vii|viii|ix|x)\b")
_ROMAN_VALUES = {"ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9", "x": "10"}
_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalise_title(title: str) -> str:
    """Lower-case ASCII words: accents folded, "Matrix, The" -> "the matrix", "Part II" -> "part 2"."""
    text = unicodedata.normalize("NFKD", str(title)).encode("ascii", "ignore").decode("ascii").strip()
    match = _TRAILING_ARTICLE.match(text)
    if match:
        text = f"{match['article']} {match['rest']}"
    text = text.lower().replace("&", " and ")
    text = _NON_WORD.sub(" ", text)
    text = _ROMAN_SEQUEL.sub(lambda m: _ROMAN_VALUES[m.group(1)], text)
    return " ".join(text.split())


def split_genres(genres: str | Iterable[str]) -> list[str]:
    """IMDb's comma-separated genre list (or an iterable of genres), stripped, de-duplicated, sorted."""
    items = genres.split(",") if isinstance(genres, str) else list(genres)
    return sorted({g.strip() for g in items if g and g.strip()})
