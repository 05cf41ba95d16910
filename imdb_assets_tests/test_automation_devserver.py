"""The `dagster dev` wrapper: instance settings it adds, and the signal dispositions it resets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from imdb_assets.automation.devserver import prepare_instance

# A child started with SIGTERM and SIGINT ignored (as a background job of a non-interactive shell is),
# which execs REPORT; argv[1] says whether to reset the signals first, as the wrapper does.
CHILD = """
import os, signal, sys
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
if sys.argv[1] == "reset":
    from imdb_assets.automation.devserver import reset_signal_handlers
    reset_signal_handlers()
os.execv(sys.executable, [sys.executable, "-c", sys.argv[2]])
"""
REPORT = """
import signal
def name(handler):
    return handler.__name__ if callable(handler) else signal.Handlers(handler).name
print(name(signal.getsignal(signal.SIGTERM)), name(signal.getsignal(signal.SIGINT)))
"""


def test_new_instance_gets_quiet_single_writer_settings(tmp_path: Path):
    config = prepare_instance(tmp_path / "dagster")
    assert yaml.safe_load(config.read_text()) == {
        "telemetry": {"enabled": False},
        "nux": {"enabled": False},
        "run_queue": {"max_concurrent_runs": 1},
    }


def test_existing_settings_are_kept_and_missing_ones_added(tmp_path: Path):
    config = tmp_path / "dagster.yaml"
    config.write_text(
        "telemetry:\n  enabled: true\nrun_queue:\n  dequeue_interval_seconds: 2\nrun_monitoring:\n  enabled: true\n"
    )
    prepare_instance(tmp_path)
    assert yaml.safe_load(config.read_text()) == {
        "telemetry": {"enabled": True},
        "run_queue": {"dequeue_interval_seconds": 2, "max_concurrent_runs": 1},
        "run_monitoring": {"enabled": True},
        "nux": {"enabled": False},
    }
    before = config.stat().st_mtime_ns
    prepare_instance(tmp_path)  # nothing missing any more: the file is left alone
    assert config.stat().st_mtime_ns == before


def test_a_config_that_is_not_a_mapping_is_refused(tmp_path: Path):
    (tmp_path / "dagster.yaml").write_text("- telemetry\n")
    with pytest.raises(ValueError, match="dagster.yaml: expected a YAML mapping"):
        prepare_instance(tmp_path)


@pytest.mark.parametrize(("mode", "expected"), [("keep", "SIG_IGN SIG_IGN"), ("reset", "SIG_DFL default_int_handler")])
def test_ignored_signals_are_reset_before_exec(mode: str, expected: str):
    output = subprocess.run(
        [sys.executable, "-c", CHILD, mode, REPORT], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert output.strip() == expected
