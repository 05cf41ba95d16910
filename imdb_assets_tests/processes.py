"""Stop what a test started: the whole process group, politely first."""

import contextlib
import os
import signal
import socket
import subprocess


def stop_process_group(process: subprocess.Popen) -> None:
    """SIGTERM the process group, then SIGKILL after 10 s: nothing is left running."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
