"""The cause of a failed dbt build in one line, instead of dagster-dbt's "The dbt CLI process ... failed".

dbt records each failed node in `run_results.json` (the warehouse's own error for a model, the result
count for a test); when dbt died before writing it (a full disk, a crash at start-up), its debug log
`dbt.log` still holds the error lines. Both are read through dagster-dbt's public invocation object.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from imdb_assets.errors import one_line

FAILED_STATUSES = {"error", "fail", "runtime error"}
MAX_NODES_NAMED = 3


class DbtBuildError(RuntimeError):
    """`dbt build` failed; the message is dbt's reason, one line."""


def _cause_line(message: str | None) -> str:
    """The line of a dbt message that names the cause (e.g. `Binder Error: ...`), not its header."""
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    causes = [line for line in lines if "Error" in line and not line.startswith(("Runtime Error in", "Compilation Error in", "Database Error in"))]
    return (causes or lines or ["no message"])[0]


def _failed_nodes(invocation) -> list[str]:
    try:
        results = invocation.get_artifact("run_results.json").get("results", [])
    except (OSError, ValueError, KeyError):
        return []
    failed = [r for r in results if str(r.get("status", "")).lower() in FAILED_STATUSES]
    return [f"{_node_name(r.get('unique_id', '?'))}: {_cause_line(r.get('message'))}" for r in failed]


def _node_name(unique_id: str) -> str:
    # `model.<package>.<name>`, `test.<package>.<name>.<hash>`
    parts = unique_id.split(".")
    return parts[2] if len(parts) >= 3 else unique_id


def _error_lines_of_log(lines: Iterable[str]) -> list[str]:
    found = []
    for line in lines:
        try:
            info = json.loads(line).get("info", {})
        except ValueError:
            continue
        if info.get("level") == "error" and info.get("msg"):
            found.append(_cause_line(info["msg"]))
    return found


def _logged_errors(invocation) -> list[str]:
    log = invocation.target_path.joinpath("dbt.log")
    try:
        with log.open(encoding="utf-8", errors="replace") as handle:
            return _error_lines_of_log(handle)
    except OSError:
        return []


def dbt_failure(invocation) -> DbtBuildError | None:
    """None if dbt succeeded; else an error whose message is dbt's own reason."""
    if invocation.is_successful():
        return None
    reasons = _failed_nodes(invocation) or _logged_errors(invocation)[-1:]
    if not reasons:
        reasons = [f"dbt exited with code {invocation.process.returncode} without saying why (see {invocation.target_path}/dbt.log)"]
    named = "; ".join(reasons[:MAX_NODES_NAMED]) + (f"; and {len(reasons) - MAX_NODES_NAMED} more" if len(reasons) > MAX_NODES_NAMED else "")
    return DbtBuildError(one_line(f"dbt build failed: {named}"))
