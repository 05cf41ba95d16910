"""Ground truth arriving later: the ratings IMDb gave served titles in snapshots loaded after the answer.

`ratings_of` reads the raw ratings of the served tconsts from the warehouse (DuckDB locally, BigQuery in
prod) with each snapshot's load time (`Warehouse.list_partitions`); `outcomes` keeps, per served row,
the rating of the latest snapshot loaded after the prediction was logged (pure, DuckDB in memory).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from imdb_assets.resources.warehouse import RAW_SCHEMA, DuckDBWarehouse, Warehouse

RATINGS_TABLE = "title_ratings"
RATING_COLUMNS = ["tconst", "snapshot_date", "averageRating"]


def snapshot_loads(warehouse: Warehouse) -> pd.DataFrame:
    """When each snapshot date of the ratings table was (last) loaded."""
    loads = [(p.snapshot_date, p.last_modified) for p in warehouse.list_partitions() if p.table == RATINGS_TABLE]
    return pd.DataFrame(loads, columns=["snapshot_date", "loaded_at"])


def ratings_of(warehouse: Warehouse, tconsts: list[str]) -> pd.DataFrame:
    """Every snapshot's rating of these titles: tconst, snapshot_date, averageRating."""
    if not tconsts:
        return pd.DataFrame(columns=RATING_COLUMNS)
    if isinstance(warehouse, DuckDBWarehouse):
        with warehouse.connect(read_only=True) as con:
            exists = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [RAW_SCHEMA, RATINGS_TABLE]
            ).fetchall()[0][0]
            if not exists:
                return pd.DataFrame(columns=RATING_COLUMNS)
            return con.execute(
                f"SELECT tconst, snapshot_date, averageRating FROM {RAW_SCHEMA}.{RATINGS_TABLE} WHERE tconst IN (SELECT unnest(?::VARCHAR[]))",
                [sorted(set(tconsts))],
            ).df()
    return _bigquery_ratings(warehouse, sorted(set(tconsts)))


def _bigquery_ratings(warehouse, tconsts: list[str]) -> pd.DataFrame:
    from google.cloud import bigquery as bq

    table = f"`{warehouse.bigquery.project}.{RAW_SCHEMA}.{RATINGS_TABLE}`"
    query = f"SELECT tconst, snapshot_date, averageRating FROM {table} WHERE tconst IN UNNEST(@tconsts)"
    config = bq.QueryJobConfig(query_parameters=[bq.ArrayQueryParameter("tconsts", "STRING", tconsts)])
    with warehouse.bigquery.get_client() as client:
        rows = [dict(row.items()) for row in client.query(query, job_config=config).result()]
    return pd.DataFrame(rows, columns=RATING_COLUMNS)


def outcomes(served: pd.DataFrame, ratings: pd.DataFrame, loads: pd.DataFrame, rating_threshold: float) -> pd.DataFrame:
    """Served rows with a tconst that a snapshot loaded after their `logged_at` rates: the served row's
    columns plus `averageRating`, `rated_snapshot_date` and `outcome` (1: rated at least `rating_threshold`)."""
    columns = [*served.columns, "averageRating", "rated_snapshot_date", "outcome"]
    if served.empty or ratings.empty or loads.empty:
        return pd.DataFrame(columns=columns)
    con = duckdb.connect()
    try:
        con.register("served", served.reset_index(drop=True).assign(served_row=lambda f: range(len(f))))
        con.register("ratings", ratings)
        con.register("loads", loads)
        frame = con.execute(
            """
            SELECT * EXCLUDE (served_row, latest) FROM (
                SELECT s.*, r.averageRating, r.snapshot_date AS rated_snapshot_date,
                       row_number() OVER (PARTITION BY s.served_row ORDER BY r.snapshot_date DESC) AS latest
                FROM served s
                JOIN ratings r ON r.tconst = s.tconst
                JOIN loads l ON l.snapshot_date = r.snapshot_date AND l.loaded_at > s.logged_at
            ) WHERE latest = 1 ORDER BY logged_at
            """
        ).df()
    finally:
        con.close()
    frame["outcome"] = (frame["averageRating"] >= rating_threshold).astype(int)
    return frame
