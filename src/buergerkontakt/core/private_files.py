"""Files with personal data on disk are readable by the application's own user only (issue 20,
ADR 0015): the SQLite database with its WAL and shared-memory files, and the folders in which the
demo set-up keeps mails and SMS instead of sending them. Files are created 0600, folders 0700,
whatever the process umask; files left more open by an earlier version are tightened.

No Django import at module level: the settings module uses :func:`private_file` before Django is
set up.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def _tighten(path: Path, wanted: int) -> None:
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(wanted)


def private_dir(path: str | os.PathLike) -> Path:
    """Create ``path`` (and missing parents with the usual mode) as a folder only its owner may
    enter; an existing folder loses every group and other permission."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=DIR_MODE)
    _tighten(path, DIR_MODE)
    return path


def private_file(path: str | os.PathLike) -> Path:
    """Create ``path`` empty with mode 0600 if it is missing (an empty file is an empty SQLite
    database), else take group and other permissions away."""
    path = Path(path)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        _tighten(path, FILE_MODE)
    return path


def open_private(path: str | os.PathLike, mode: str = "ab"):
    """``open(path, mode)`` for writing, a new file created 0600."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    descriptor = os.open(path, flags, FILE_MODE)
    return os.fdopen(descriptor, mode, **({} if "b" in mode else {"encoding": "utf-8"}))


def sqlite_files(name: str) -> list[Path]:
    """The database file and the WAL/shared-memory files SQLite keeps beside it."""
    return [Path(name), Path(f"{name}-wal"), Path(f"{name}-shm")]


def is_sqlite_file(name) -> bool:
    text = str(name or "")
    return bool(text) and not text.startswith(("file:", ":memory:")) and "mode=memory" not in text


_checked: set[str] = set()


def tighten_sqlite(sender, connection, **kwargs) -> None:
    """``connection_created``: the database files of a new SQLite connection are private (SQLite
    gives the WAL and shared-memory files the database file's mode). Once per file and process."""
    if connection.vendor != "sqlite":
        return
    name = connection.settings_dict.get("NAME")
    if not is_sqlite_file(name) or str(name) in _checked:
        return
    for path in sqlite_files(str(name)):
        if path.exists():
            _tighten(path, FILE_MODE)
    _checked.add(str(name))
