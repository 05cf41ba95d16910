"""DVC's log lines reach the current stderr even when DVC was imported while other streams were in place
(a capture that is closed since). Runs in a fresh interpreter: DVC installs its handlers once, at import."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import io, logging, sys
    real_out, real_err = sys.stdout, sys.stderr
    captured_out, captured_err = io.StringIO(), io.StringIO()
    sys.stdout, sys.stderr = captured_out, captured_err
    import dvc  # DVC's handlers take the streams of this moment
    captured_out.close(); captured_err.close()
    sys.stdout, sys.stderr = real_out, real_err
    if ROUTE:
        from imdb_assets.dataset.dvc_logging import route_dvc_logs
        route_dvc_logs(); route_dvc_logs()
    logging.getLogger("dvc_data.index.fetch").warning("missing cache files: %s", "abc")
    logging.getLogger("dvc.repo.gc").info("Removed 2 objects")
    print("still running")
    """
)


def _run(route: bool) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", f"ROUTE = {route}\n{SCRIPT}"], capture_output=True, text=True, timeout=120
    )


def test_dvc_lines_go_to_the_current_stderr_once_each():
    result = _run(route=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "still running"
    assert result.stderr.splitlines() == ["WARNING: missing cache files: abc", "Removed 2 objects"]


def test_without_routing_dvc_fails_on_the_closed_stream():
    # What the routing is for: this is how DVC behaves on its own (if DVC changes, this tells us).
    result = _run(route=False)
    assert result.returncode != 0
    assert "LoggingException" in result.stderr
