"""What one dbt invocation did: dbt's own timings, and DuckDB's scan counters for the model's SQL.

dagster-dbt gives every invocation its own target folder, `dbt_project/target/<op>-<run id[:7]>-<n>/`,
holding `run_results.json`, `dbt.log` (JSON lines) and the compiled SQL of the model as it ran (with or
without its `is_incremental()` branch). The compiled SELECT is run again, read-only, under DuckDB's
profiler: its per-table `rows_scanned` and `row_groups_scanned / total_row_groups_to_scan` show how much
of each raw table the model reads -- one snapshot partition, not the table's whole history.
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from pathlib import Path

import duckdb

MODEL = "filtered_movies_incremental"
RAW_TABLES = ("raw.title_basics", "raw.title_ratings")


def _target_dir(run_id: str) -> Path | None:
    from imdb_assets.settings import DBT_PROJECT_DIR

    found = sorted((DBT_PROJECT_DIR / "target").glob(f"*-{run_id[:7]}-*"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def _ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def dbt_log_phases(log_path: Path) -> dict:
    """Seconds dbt spent starting up + parsing, and running nodes (from its JSON log lines)."""
    first = parsed = last = None
    notes = []
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        info = record.get("info", {})
        ts = _ts(info["ts"]) if "ts" in info else None
        if ts is None:
            continue
        first = first if first is not None else ts
        last = ts
        if info.get("name") == "FoundStats":
            parsed = ts
        if info.get("name") in ("UnableToPartialParse", "PartialParsingEnabled", "PartialParsingNotEnabled"):
            notes.append(info.get("msg", ""))
    if first is None:
        return {}
    phases = {"first_log": first, "last_log": last, "logged_seconds": round(last - first, 3), "partial_parse": notes}
    if parsed is not None:
        phases["parse_seconds"] = round(parsed - first, 3)
        phases["after_parse_seconds"] = round(last - parsed, 3)
    return phases


def scan_profile(sql: str, warehouse: Path) -> dict:
    """Run the model's SELECT read-only under DuckDB's profiler; rows and row groups scanned per table."""
    with tempfile.TemporaryDirectory(prefix="dbt-scan-") as tmp:
        output = Path(tmp) / "profile.json"
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            con.execute("SET tracked_metrics=['*']")
            con.execute("PRAGMA enable_profiling='json'")
            con.execute(f"PRAGMA profiling_output='{output}'")
            rows = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
            con.execute("PRAGMA disable_profiling")
            raw_rows = {
                table: {
                    str(d): n
                    for d, n in con.execute(
                        f"SELECT snapshot_date, count(*) FROM {table} GROUP BY 1 ORDER BY 1"
                    ).fetchall()
                }
                for table in RAW_TABLES
            }
        finally:
            con.close()
        profile = json.loads(output.read_text())
    scans = []

    def walk(node) -> None:
        if isinstance(node, list):
            for child in node:
                walk(child)
            return
        extra = node.get("extra_info") or {}
        if node.get("type") == "TABLE_SCAN" and isinstance(extra, dict):
            scans.append(
                {
                    "table": extra.get("Table"),
                    "rows_scanned": node.get("rows_scanned"),
                    "rows_out": node.get("intermediate_rows"),
                    "row_groups_scanned": node.get("row_groups_scanned"),
                    "row_groups_total": node.get("total_row_groups_to_scan"),
                }
            )
        walk(node.get("children", []))

    walk(profile.get("operator", []))
    query = profile.get("query", {})
    return {
        "rows_selected": rows,
        "tables": scans,
        "total_rows_scanned": query.get("total_rows_scanned"),
        "row_groups_scanned": query.get("total_row_groups_scanned"),
        "row_groups_total": query.get("total_row_groups_to_scan"),
        "raw_rows_by_snapshot": raw_rows,
    }


def dbt_invocation_report(run_id: str, warehouse: Path, command_span: dict[str, float] | None = None) -> dict:
    """dbt's timings for the run's invocation; with `command_span` (when dagster-dbt started and saw the end
    of the dbt process), also the seconds before dbt's first log line (interpreter start, imports) and
    after its last (exit, DuckDB's checkpoint on close)."""
    target = _target_dir(run_id)
    if target is None:
        return {"error": f"no dbt target folder for run {run_id}"}
    report: dict = {"target": str(target)}
    results_path = target / "run_results.json"
    if results_path.exists():
        results = json.loads(results_path.read_text())
        nodes = results.get("results", [])
        report["elapsed_seconds"] = round(results.get("elapsed_time", 0.0), 3)
        report["model_seconds"] = round(
            sum(n["execution_time"] for n in nodes if n["unique_id"].startswith("model.")), 3
        )
        report["tests_seconds"] = round(
            sum(n["execution_time"] for n in nodes if n["unique_id"].startswith("test.")), 3
        )
    if (target / "dbt.log").exists():
        log = dbt_log_phases(target / "dbt.log")
        report["log"] = log
        if log and command_span and {"started", "finished"} <= set(command_span):
            report["startup_seconds"] = round(log["first_log"] - command_span["started"], 3)
            report["exit_seconds"] = round(command_span["finished"] - log["last_log"], 3)
    compiled = next(iter((target / "compiled").rglob(f"{MODEL}.sql")), None)
    if compiled is None:
        report["scan"] = {"error": "compiled model SQL not found"}
    else:
        sql = compiled.read_text()
        # Only the is_incremental() branch refers to the model's own table ({{ this }}).
        report["incremental_branch"] = f'"{MODEL}"' in sql
        try:
            report["scan"] = scan_profile(sql, warehouse)
        except duckdb.Error as exc:
            report["scan"] = {"error": " ".join(str(exc).split())[:300]}
    return report
