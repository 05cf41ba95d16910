"""How a candidate dataset differs from the previous published version: small tables for the UI.

Pure Python over two `DatasetProfile`s, so the checks stay thin and this is easy to test.
"""

from __future__ import annotations

from dataclasses import dataclass

from imdb_assets.dataset.profile import DatasetProfile


@dataclass(frozen=True)
class DriftRow:
    measure: str
    previous: float | None  # None: the measure did not exist in the previous version
    current: float | None

    @property
    def change(self) -> float:
        return (self.current or 0.0) - (self.previous or 0.0)


def label_share_drift(previous: DatasetProfile, current: DatasetProfile) -> DriftRow:
    return DriftRow(f"label share (rating >= {current.rating_threshold:g})", previous.label_share, current.label_share)


def genre_mix_drift(previous: DatasetProfile, current: DatasetProfile) -> list[DriftRow]:
    """Every genre of either version, largest absolute change first; a genre new in `current` has
    previous=None."""
    genres = sorted(set(previous.genre_shares) | set(current.genre_shares))
    rows = [DriftRow(g, previous.genre_shares.get(g), current.genre_shares.get(g)) for g in genres]
    return sorted(rows, key=lambda r: (-abs(r.change), r.measure))


def null_rate_drift(previous: DatasetProfile, current: DatasetProfile) -> list[DriftRow]:
    columns = list(dict.fromkeys([*current.null_rates, *previous.null_rates]))
    return [DriftRow(c, previous.null_rates.get(c), current.null_rates.get(c)) for c in columns]


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.2%}"


def drift_table(rows: list[DriftRow], heading: str = "measure", limit: int | None = None) -> str:
    """A markdown table: measure | previous | current | change (percentage points)."""
    shown = rows if limit is None else rows[:limit]
    lines = [f"| {heading} | previous | current | change |", "|---|---:|---:|---:|"]
    lines += [f"| {r.measure} | {_share(r.previous)} | {_share(r.current)} | {r.change * 100:+.2f} pp |" for r in shown]
    if limit is not None and len(rows) > limit:
        lines.append(f"| … {len(rows) - limit} more | | | |")
    return "\n".join(lines)
