"""How a comma-joined genre list becomes tokens: one module, no scikit-learn, shared by training (the
fitted vectorizers name these functions) and by the numpy-only scorer that `predict` uses."""

GENRE_PAIR_SEPARATOR = "|"


def genre_tokens(genres: str) -> list[str]:
    """The comma-joined genres as tokens (module level so a fitted model can be reloaded)."""
    return [g for g in genres.split(",") if g]


def genre_pair_tokens(genres: str) -> list[str]:
    """Every pair of a title's genres, "Comedy|Horror" (genres arrive sorted, so each pair has one spelling)."""
    singles = genre_tokens(genres)
    return [f"{a}{GENRE_PAIR_SEPARATOR}{b}" for i, a in enumerate(singles) for b in singles[i + 1 :]]


# The names a saved model records for its tokenizers, and the functions they stand for.
TOKENIZERS = {"genre_tokens": genre_tokens, "genre_pair_tokens": genre_pair_tokens}
