"""Checks on the candidate CSV, against its contract and the previous published version.

Blocking (ERROR) where bad data must not be published or trained on: a large drop in rows, nulls in
required columns or duplicated keys, too many titles that are empty after cleaning. Warnings (WARN)
where a person should look but the data may be right: drift of the label share and of the genre mix,
and a few empty titles. A failed blocking check stops `movies_dataset` and everything after it, so the
previous version stays current.
"""


from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    Config,
    MetadataValue,
)
from pydantic import Field

from imdb_assets.contracts.features import DEFAULT_RATING_THRESHOLD
from imdb_assets.contracts.movies import KEY_COLUMN, FilteredMovies, nullable_columns, read_movies_csv
from imdb_assets.dataset.drift import DriftRow, drift_table, genre_mix_drift, label_share_drift, null_rate_drift
from imdb_assets.dataset.layout import MOVIES_CSV_ASSET, MOVIES_CSV_PATH
from imdb_assets.dataset.profile import DatasetProfile, empty_title_mask, profile_movies
from imdb_assets.dataset.repository import DatasetRepository

ROW_COUNT = "row_count_vs_previous"
NULLS_AND_DUPLICATES = "null_and_duplicate_rates"
EMPTY_TITLES = "titles_not_empty_after_cleaning"
LABEL_SHARE = "label_share_vs_previous"
GENRE_MIX = "genre_mix_vs_previous"
EXAMPLES = 5  # example rows named in a failing check's metadata
movies_csv = AssetKey(MOVIES_CSV_ASSET)


class MoviesCsvCheckConfig(Config):
    max_row_drop_share: float = Field(0.1, description="Fail (blocking) if rows drop by more than this share vs the previous version.")
    max_empty_title_share: float = Field(0.05, description="Fail (blocking) above this share of titles empty after cleaning; warn below.")
    max_label_share_change: float = Field(0.05, description="Warn if the label-1 share moves by more than this (absolute).")
    max_genre_share_change: float = Field(0.05, description="Warn if any genre's share moves by more than this (absolute).")


MOVIES_CSV_CHECK_SPECS = [
        AssetCheckSpec(ROW_COUNT, asset=movies_csv, blocking=True, description="Rows must not drop by more than `max_row_drop_share` vs the previous version."),
        AssetCheckSpec(NULLS_AND_DUPLICATES, asset=movies_csv, blocking=True, description="Null rate of each column and duplicate rate of the key; required columns and the key must be clean."),
        AssetCheckSpec(EMPTY_TITLES, asset=movies_csv, blocking=True, description="Titles empty after `normalise_title`: warn if any, fail above `max_empty_title_share`."),
        AssetCheckSpec(LABEL_SHARE, asset=movies_csv, description="Share of label 1 (rating >= threshold) vs the previous version."),
        AssetCheckSpec(GENRE_MIX, asset=movies_csv, description="Share of movies per genre vs the previous version, as a drift table."),
]
BLOCKING_CHECK_NAMES = tuple(spec.name for spec in MOVIES_CSV_CHECK_SPECS if spec.blocking)


def evaluate_movies_csv(config: MoviesCsvCheckConfig, dataset_repository: DatasetRepository) -> Iterator[AssetCheckResult]:
    """Read the written candidate back once, profile it, compare with the latest published version's profile."""
    movies = read_movies_csv(dataset_repository.candidate_path(MOVIES_CSV_PATH))
    # Checks run before features, so a run's FeaturesConfig is unknown here: the label share is the default's.
    empty_titles = empty_title_mask(movies)
    current = profile_movies(movies, DEFAULT_RATING_THRESHOLD, empty_titles)
    latest = dataset_repository.registry(MOVIES_CSV_PATH).latest()
    previous = DatasetProfile.from_dict(latest.profile) if latest and latest.profile else None
    since = {"previous_version": latest.md5 if latest else "none"}

    yield _row_count(current, previous, config, since)
    yield _nulls_and_duplicates(movies, current, previous)
    yield _empty_titles(movies, empty_titles, current, config)
    if previous is None:
        for name in (LABEL_SHARE, GENRE_MIX):
            yield AssetCheckResult(check_name=name, passed=True, metadata={**since, "note": "first version: nothing to compare with"})
        return
    label = label_share_drift(previous, current)
    yield AssetCheckResult(
        check_name=LABEL_SHARE,
        passed=abs(label.change) <= config.max_label_share_change,
        severity=AssetCheckSeverity.WARN,
        metadata={**since, "previous": label.previous, "current": label.current, "change": label.change, "drift": MetadataValue.md(drift_table([label]))},
    )
    genres = genre_mix_drift(previous, current)
    moved = [r for r in genres if abs(r.change) > config.max_genre_share_change or r.previous is None]
    yield AssetCheckResult(
        check_name=GENRE_MIX,
        passed=not moved,
        severity=AssetCheckSeverity.WARN,
        metadata={
            **since,
            "genres_moved": ", ".join(f"{r.measure} {r.change * 100:+.1f} pp" + (" (new)" if r.previous is None else "") for r in moved) or "none",
            "max_abs_change": max((abs(r.change) for r in genres), default=0.0),
            "drift": MetadataValue.md(drift_table([label, *genres], heading="genre share")),
        },
    )


def _row_count(current: DatasetProfile, previous: DatasetProfile | None, config: MoviesCsvCheckConfig, since: dict) -> AssetCheckResult:
    if previous is None:
        return AssetCheckResult(check_name=ROW_COUNT, passed=current.rows > 0, metadata={**since, "rows": current.rows})
    drop = (previous.rows - current.rows) / previous.rows if previous.rows else 0.0
    return AssetCheckResult(
        check_name=ROW_COUNT,
        passed=drop <= config.max_row_drop_share,
        severity=AssetCheckSeverity.ERROR,
        description=None if drop <= config.max_row_drop_share else (
            f"rows dropped from {previous.rows} to {current.rows} ({drop:.1%} > {config.max_row_drop_share:.0%} allowed)"
        ),
        metadata={**since, "rows": current.rows, "previous_rows": previous.rows, "drop_share": drop, "max_row_drop_share": config.max_row_drop_share},
    )


def _nulls_and_duplicates(movies, current: DatasetProfile, previous: DatasetProfile | None) -> AssetCheckResult:
    optional = set(nullable_columns())
    bad_columns = [c for c, rate in current.null_rates.items() if rate > 0 and c not in optional]
    duplicated = movies.loc[movies[KEY_COLUMN].duplicated(keep=False), KEY_COLUMN]
    examples = {}
    for column in bad_columns:
        examples[column] = movies.loc[movies[column].isna(), KEY_COLUMN].head(EXAMPLES).tolist()
    if len(duplicated):
        examples[KEY_COLUMN + " (duplicated)"] = duplicated.drop_duplicates().head(EXAMPLES).tolist()
    rates = null_rate_drift(previous, current) if previous else [DriftRow(c, None, r) for c, r in current.null_rates.items()]
    rates.append(DriftRow(f"duplicated {KEY_COLUMN}", previous.duplicate_rate if previous else None, current.duplicate_rate))
    passed = not bad_columns and not len(duplicated)
    return AssetCheckResult(
        check_name=NULLS_AND_DUPLICATES,
        passed=passed,
        severity=AssetCheckSeverity.ERROR,
        description=None if passed else f"nulls in required column(s) {bad_columns} or {len(duplicated)} duplicated {KEY_COLUMN} row(s)",
        metadata={
            "failing_columns": ", ".join(bad_columns + ([KEY_COLUMN] if len(duplicated) else [])) or "none",
            "example_rows": MetadataValue.json(examples),
            "duplicate_rate": current.duplicate_rate,
            "rates": MetadataValue.md(drift_table(rates, heading="null rate of column")),
        },
    )


def _empty_titles(movies, empty_titles, current: DatasetProfile, config: MoviesCsvCheckConfig) -> AssetCheckResult:
    empty = movies.loc[empty_titles, [KEY_COLUMN, FilteredMovies.primaryTitle]]
    share = len(empty) / current.rows if current.rows else 0.0
    too_many = share > config.max_empty_title_share
    return AssetCheckResult(
        check_name=EMPTY_TITLES,
        passed=empty.empty,
        # A few such titles exist upstream; many mean the cleaning or the source broke.
        severity=AssetCheckSeverity.ERROR if too_many else AssetCheckSeverity.WARN,
        description=None if empty.empty else f"{len(empty)} title(s) ({share:.2%}) are empty after cleaning",
        metadata={
            "empty_titles": len(empty),
            "share": share,
            "max_empty_title_share": config.max_empty_title_share,
            "example_rows": MetadataValue.json(empty.head(EXAMPLES).astype(str).values.tolist()),
        },
    )
