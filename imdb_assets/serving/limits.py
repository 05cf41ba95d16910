"""How much one movie may hold: the HTTP API's schema and the one-shot `predict` refuse the same (stdlib only)."""

MAX_TITLE_CHARS = 500
MAX_GENRES = 30
MAX_GENRE_CHARS = 50
