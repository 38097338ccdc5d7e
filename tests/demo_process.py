"""Running `eportal demo` as a process, the way a person trying the demo starts it, and stopping it cleanly."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import SOURCE_DIR, stop_process

BACKGROUND_COMMANDS = (b"worker",)


def free_port() -> int:
    """A loopback port nothing listens on at the moment."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def running_in(folder, command: bytes) -> list[int]:
    """The demo's child processes running `eportal <command>` in the folder."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        if b"eportal.cli" in cmdline and command in cmdline and cwd == str(folder):
            found.append(int(entry))
    return found


def start_demo(folder, *args, env=None, stderr=subprocess.STDOUT) -> subprocess.Popen:
    """Start `eportal demo` in the folder (also its HOME), printing unbuffered to a pipe."""
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(folder), "PYTHONPATH": SOURCE_DIR, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "eportal.cli", "demo", *args],
        cwd=folder,
        env={**base, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )


def stop_demo(folder, process: subprocess.Popen) -> None:
    """Stop the demo and assert it left no background process running in its folder (killing any it did)."""
    stop_process(process)
    left = {command: running_in(folder, command) for command in BACKGROUND_COMMANDS}
    for pid in [pid for pids in left.values() for pid in pids]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for command, pids in left.items():
        assert pids == [], f"the demo left {command.decode()} running"


@contextlib.contextmanager
def serving_demo(folder, *args, env=None):
    """`eportal demo` in the folder until the block ends; yields what it printed until it served."""
    process = start_demo(folder, *args, env=env)
    output = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line)
            if "Quit the server" in line:
                break
        assert "Quit the server" in "".join(output), "".join(output)
        yield "".join(output)
    finally:
        stop_demo(folder, process)
