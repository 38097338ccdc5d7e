"""The portal installed as a package (not editable) runs from a read-only folder: its catalogues come compiled
in the package, and nothing is written there. Root ignores the missing write bits, so the test also compares
every file and folder of the install before and after."""

import importlib.metadata
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.demo_process import free_port
from tests.helpers import stop_process

PROJECT = Path(__file__).resolve().parent.parent
# A key for the message texts, as an operator sets one (a test's own, never used elsewhere).
MESSAGE_KEYS = "k1:dGVzdHMtb25seS1wcm9kdWN0aW9uLW1lc3NhZ2Uta3k="


def build_options() -> list[str]:
    """Build with the tools in this environment when they can (setuptools 77 or newer, as pyproject.toml asks),
    else in pip's isolated build environment, fetched from PyPI as `pip install -e .` fetches it."""
    setuptools_major = int(importlib.metadata.version("setuptools").split(".")[0])
    return ["--no-build-isolation"] if setuptools_major >= 77 else []


def install(target: Path, work: Path) -> None:
    """pip install the project, from a copy of its source (a build leaves build/ and *.egg-info beside it)."""
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(PROJECT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.mo", "*.egg-info", "compiled-from.sha256")
    shutil.copytree(PROJECT / "src", source / "src", ignore=ignore)
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps"]
    command += [*build_options(), "--target", str(target), str(source)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=work)
    assert result.returncode == 0, result.stdout + result.stderr


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every file and folder under the folder, with its size and modification time."""
    found = {}
    for path in [folder, *folder.rglob("*")]:
        info = path.lstat()
        found[str(path.relative_to(folder))] = (stat.S_IFMT(info.st_mode), info.st_size, info.st_mtime_ns)
    return found


def set_writable(folder: Path, writable: bool) -> None:
    for path in [folder, *folder.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        path.chmod(mode | stat.S_IWUSR if writable else mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing answered on port {port}")


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our own server on loopback
        return response.read().decode()


def test_the_installed_portal_runs_from_a_read_only_folder_and_writes_nothing_there(tmp_path):
    target, data, home = tmp_path / "site-packages", tmp_path / "data", tmp_path / "home"
    data.mkdir()
    home.mkdir()
    install(target, tmp_path)
    package = target / "eportal"
    assert (package / "locale" / "nb" / "LC_MESSAGES" / "django.mo").is_file()

    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        # The installed copy, not this checkout (installed editable in the environment's site-packages).
        "PYTHONPATH": str(target),
        # Python's own bytecode cache (which it gives up on silently where it cannot write) is not the portal's.
        "PYTHONDONTWRITEBYTECODE": "1",
        "EPORTAL_DATA_DIR": str(data),
        "SECRET_KEY": "r" * 50,
        "EPORTAL_MESSAGE_KEYS": MESSAGE_KEYS,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "no",  # plain http on loopback: the TLS proxy is not part of this test
        "EPORTAL_BIND": f"127.0.0.1:{port}",
        "EPORTAL_WORKERS": "1",
    }

    def eportal(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "eportal.cli", *args]
        return subprocess.run(command, env=env, cwd=data, capture_output=True, text=True, timeout=120)

    before = snapshot(target)
    set_writable(target, False)
    server = None
    try:
        where = eportal(
            "shell",
            "-c",
            "import eportal; from django.conf import settings; print(eportal.__file__); print(settings.LOCALE_PATHS[0])",
        )
        assert where.returncode == 0, where.stderr
        assert where.stdout.split()[-2:] == [str(package / "__init__.py"), str(package / "locale")]

        migrated = eportal("migrate")
        assert migrated.returncode == 0, migrated.stderr

        server = subprocess.Popen(
            [sys.executable, "-m", "eportal.cli", "serve"],
            env=env,
            cwd=data,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        wait_for_port(port, server)
        page = get(f"http://127.0.0.1:{port}/")
        assert "Logg inn" in page
        stylesheet = re.search(r'href="(/static/[^"]+\.css)"', page)
        assert stylesheet and get(f"http://127.0.0.1:{port}{stylesheet.group(1)}")
    finally:
        if server is not None:
            stop_process(server, timeout=30)
        after = snapshot(target)
        set_writable(target, True)
    assert after == before
    assert not (home / ".cache" / "eportal").exists()  # no catalogue compiled at start-up
