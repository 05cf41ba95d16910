"""IMDb's published vocabularies (see IMDb's dataset documentation)."""

IMDB_GENRES: tuple[str, ...] = (
    "Action", "Adult", "Adventure", "Animation", "Biography", "Comedy", "Crime", "Documentary", "Drama",
    "Family", "Fantasy", "Film-Noir", "Game-Show", "History", "Horror", "Music", "Musical", "Mystery",
    "News", "Reality-TV", "Romance", "Sci-Fi", "Short", "Sport", "Talk-Show", "Thriller", "War", "Western",
)  # fmt: skip

TITLE_TYPES: tuple[str, ...] = (
    "movie", "short", "tvSeries", "tvEpisode", "tvMovie", "tvMiniSeries", "tvSpecial", "tvShort",
    "tvPilot", "video", "videoGame",
)  # fmt: skip
