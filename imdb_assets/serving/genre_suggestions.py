"""The known genres closest to one the model never saw, and the one-line error naming them (stdlib only)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from difflib import get_close_matches
from functools import lru_cache

MAX_SUGGESTIONS = 3
# 0.7 keeps "Cmedy" -> Comedy and "Drame" -> Drama but drops Crime for both (difflib's default 0.6 offers it).
SIMILARITY_CUTOFF = 0.7


@lru_cache(maxsize=4096)
def close_genres(genre: str, known: tuple[str, ...]) -> tuple[str, ...]:
    """Up to three of `known`, closest first, that `genre` looks like a misspelling of (case ignored)."""
    by_key = {name.lower(): name for name in known}
    matches = get_close_matches(genre.lower(), list(by_key), n=MAX_SUGGESTIONS, cutoff=SIMILARITY_CUTOFF)
    return tuple(by_key[key] for key in matches)


def suggestions_for(unknown: Iterable[str], known: Sequence[str]) -> dict[str, list[str]]:
    """Per unknown genre, the known genres it may have meant ([] when none is close)."""
    known = tuple(known)
    return {genre: list(close_genres(genre, known)) for genre in unknown}


def _with_close(name: str, close: Sequence[str]) -> str:
    return f"{name} (did you mean {' or '.join(close)}?)" if close else name


def with_suggestions(suggestions: Mapping[str, Sequence[str]]) -> str:
    """"Cmedy (did you mean Comedy?), Space-Opera": each unknown genre with the known ones it may mean."""
    return ", ".join(_with_close(genre, close) for genre, close in suggestions.items())


def unknown_genres_message(suggestions: Mapping[str, Sequence[str]], known: Sequence[str]) -> str:
    """E.g. "unknown genre 'Cmedy' (did you mean Comedy?)"; the known genres are listed when one has no close match."""
    parts = ", ".join(_with_close(repr(genre), close) for genre, close in suggestions.items())
    message = f"unknown genre{'s' if len(suggestions) > 1 else ''} {parts}"
    if not all(suggestions.values()):
        message += f" (known genres: {', '.join(known)})"
    return message
