"""The gettext catalogues (.po -> .mo), compiled with Babel, so no GNU gettext is needed to run.

An installed package carries them compiled (setup.py compiles them when the package is built) and is never
written to, so it may be read-only. A git checkout or an editable install has its .po files change under it:
there they are compiled into a cache folder outside the package, one folder per version of the .po files.
Only the standard library is imported here: setup.py loads this file before anything is installed.
"""

import hashlib
import io
import os
import shutil
import tempfile
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# Beside the compiled catalogues: the digest of the .po files they were compiled from.
STAMP = "compiled-from.sha256"
_FORMAT = b"eportal-catalogues-1\n"  # change it to have every compiled copy made afresh


def source_digest(locale_dir: Path = LOCALE_DIR) -> str:
    """A digest of every .po under the folder, by name and content."""
    return _digest({path: path.read_bytes() for path in _po_files(locale_dir)}, locale_dir)


def _po_files(locale_dir: Path) -> list[Path]:
    return sorted(locale_dir.glob("*/LC_MESSAGES/*.po"))


def _digest(sources: dict[Path, bytes], locale_dir: Path) -> str:
    digest = hashlib.sha256(_FORMAT)
    for path, data in sorted(sources.items()):
        digest.update(path.relative_to(locale_dir).as_posix().encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def compile_into(target_dir: Path, locale_dir: Path = LOCALE_DIR) -> str:
    """Write a .mo for each .po under locale_dir into target_dir (the same layout), then the stamp; returns the
    digest of the .po files as they were read (they may be edited meanwhile)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    sources = {path: path.read_bytes() for path in _po_files(locale_dir)}
    for po_path, data in sources.items():
        mo_path = target_dir / po_path.relative_to(locale_dir).with_suffix(".mo")
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        catalog = read_po(io.BytesIO(data), locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
    digest = _digest(sources, locale_dir)
    (target_dir / STAMP).write_text(digest + "\n")
    return digest


def _compiled_from(folder: Path) -> str:
    try:
        return (folder / STAMP).read_text().strip()
    except OSError:
        return ""


def _cache_root() -> Path | None:
    """The user's cache folder for compiled catalogues, if it can be written."""
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "eportal" / "locale"
        base.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # RuntimeError: no home folder to be found
        return None
    return base if os.access(base, os.W_OK) else None


def compile_catalogues(locale_dir: Path = LOCALE_DIR) -> Path:
    """The folder for LOCALE_PATHS: the package's own when it carries catalogues compiled from its .po files,
    else a cache folder they are compiled into now (once per version of the .po files). Never writes into
    the package."""
    digest = source_digest(locale_dir)
    if _compiled_from(locale_dir) == digest:
        return locale_dir
    root = _cache_root()
    if root is None:  # no cache folder (a service user without a home): a private one for this process
        folder = Path(tempfile.mkdtemp(prefix="eportal-locale-"))
        compile_into(folder, locale_dir)
        return folder
    if _compiled_from(root / digest[:32]) == digest:
        return root / digest[:32]
    # Compiled beside it and renamed into place: processes starting together never read a half-written one.
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
    digest = compile_into(staging, locale_dir)
    folder = root / digest[:32]
    try:
        staging.rename(folder)
    except OSError:  # another process put its copy there first
        if _compiled_from(folder) != digest:
            return staging  # complete too; left for this process
        shutil.rmtree(staging, ignore_errors=True)
    return folder
