"""Run a pandera model's rules inside a SQL engine (DuckDB) instead of in pandas.

Millions of raw rows would not fit comfortably in pandas on a small machine, so the same contract is
translated into SQL: one boolean "violation" expression per rule, all counted in a single scan, plus an
optional expression naming the offending part of a value for the error message. A rule that is dear per
row but depends only on its column's value (splitting a genre list) is marked to be evaluated once per
distinct value instead. Only the check kinds the contracts use are translated; an unknown kind raises,
so a new rule in a model can't be silently skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandera.pandas as pa

_DUCKDB_TYPES = {
    "str": "VARCHAR",
    "string": "VARCHAR",
    "string[pyarrow]": "VARCHAR",
    "string[python]": "VARCHAR",
    "Int64": "BIGINT",
    "int64": "BIGINT",
    "float64": "DOUBLE",
    "Float64": "DOUBLE",
    "bool": "BOOLEAN",
    "date": "DATE",
}


def duckdb_type(dtype: object) -> str:
    name = str(dtype)
    if name not in _DUCKDB_TYPES:
        raise TypeError(f"no DuckDB type for pandera dtype {name!r}")
    return _DUCKDB_TYPES[name]


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: object) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


@dataclass(frozen=True)
class Rule:
    column: str
    description: str  # what a violation means, e.g. "outside [1.0, 10.0]"
    violation_sql: str  # TRUE for a row that breaks the rule
    detail_sql: str | None = None  # optional VARCHAR naming the offending part of a value (e.g. the new genre)
    # Evaluate on the column's distinct values, not on every row: 11.8 M genre lists are ~3,000 distinct
    # ones, and splitting each row's list cost ~20 CPU-seconds of a full-size ingest.
    per_distinct_value: bool = False


def column_types(model: type[pa.DataFrameModel]) -> dict[str, str]:
    """Column name -> DuckDB type, in the contract's order."""
    return {name: duckdb_type(column.dtype) for name, column in model.to_schema().columns.items()}


def contract_select(model: type[pa.DataFrameModel]) -> str:
    """SELECT list of exactly the contract's columns, in its order, cast to its types (a DATE column
    whose contract type is str becomes 'YYYY-MM-DD'): how a table is read into the contract's shape."""
    return ", ".join(f"CAST({quote_ident(n)} AS {t}) AS {quote_ident(n)}" for n, t in column_types(model).items())


def typed_select(model: type[pa.DataFrameModel]) -> str:
    """SELECT list that casts all-VARCHAR staged columns to the contract's types."""
    parts = []
    for name, sql_type in column_types(model).items():
        ident = quote_ident(name)
        parts.append(f"CAST({ident} AS {sql_type}) AS {ident}" if sql_type != "VARCHAR" else ident)
    return ", ".join(parts)


def _check_violation(value_sql: str, check: pa.Check) -> tuple[str, str, str | None]:
    """(violation, description, detail) of one pandera check applied to `value_sql`."""
    stats = check.statistics or {}
    name = check.name
    if name == "in_range":
        lo, hi = stats["min_value"], stats["max_value"]
        return f"NOT ({value_sql} BETWEEN {lo!r} AND {hi!r})", f"outside [{lo}, {hi}]", None
    if name == "greater_than_or_equal_to":
        return f"{value_sql} < {stats['min_value']!r}", f"below {stats['min_value']}", None
    if name == "less_than_or_equal_to":
        return f"{value_sql} > {stats['max_value']!r}", f"above {stats['max_value']}", None
    if name == "isin":
        allowed = ", ".join(sql_literal(v) for v in stats["allowed_values"])
        return f"{value_sql} NOT IN ({allowed})", "not an allowed value", None
    if name == "str_matches":
        pattern = stats["pattern"]
        return f"NOT regexp_matches({value_sql}, {sql_literal(pattern)})", f"not matching {pattern}", None
    if name == "str_length":
        low, high = stats.get("min_value"), stats.get("max_value")
        tests = ([f"length({value_sql}) < {low!r}"] if low is not None else []) + (
            [f"length({value_sql}) > {high!r}"] if high is not None else []
        )
        words = " or ".join(([f"shorter than {low}"] if low is not None else []) + ([f"longer than {high:,} characters"] if high is not None else []))
        return " OR ".join(tests), words, None
    if name == "genres_within":
        allowed = ", ".join(sql_literal(v) for v in stats["allowed"])
        return (
            f"NOT list_has_all([{allowed}], string_split({value_sql}, ','))",
            "holds a genre outside IMDb's vocabulary",
            # name the new genre(s), not just the whole list
            f"array_to_string(list_filter(string_split({value_sql}, ','), lambda g: NOT list_contains([{allowed}], g)), ',')",
        )
    raise NotImplementedError(f"pandera check {name!r} has no SQL translation")


# Checks whose SQL costs far more per row than a comparison (list functions over a split string).
_PER_DISTINCT_VALUE_CHECKS = frozenset({"genres_within"})


def rules(model: type[pa.DataFrameModel]) -> list[Rule]:
    """Row-level rules of a model over an all-VARCHAR staged table (uniqueness is checked apart)."""
    found: list[Rule] = []
    for name, column in model.to_schema().columns.items():
        ident = quote_ident(name)
        sql_type = duckdb_type(column.dtype)
        typed = ident if sql_type == "VARCHAR" else f"TRY_CAST({ident} AS {sql_type})"
        if sql_type != "VARCHAR":
            found.append(Rule(name, f"not a valid {sql_type}", f"{ident} IS NOT NULL AND {typed} IS NULL"))
        if not column.nullable:
            found.append(Rule(name, "null (\\N)", f"{ident} IS NULL"))
        for check in column.checks:
            violation, description, detail = _check_violation(typed, check)
            per_distinct = check.name in _PER_DISTINCT_VALUE_CHECKS
            found.append(Rule(name, description, f"{typed} IS NOT NULL AND ({violation})", detail, per_distinct))
    return found


def unique_columns(model: type[pa.DataFrameModel]) -> list[str]:
    return [name for name, column in model.to_schema().columns.items() if column.unique]
