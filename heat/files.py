"""Files HEAT writes hold data about children: readable by the service's own account alone
(files 0600, folders 0700), whatever the process's umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path) -> Path:
    """Create the folder 0700, or make an existing one 0700 -- but never a shared folder such as
    /tmp (world-writable with the sticky bit), or one another account owns: a database or a
    backup put there must not lock other users out of it."""
    if not path.exists():
        path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    status = path.stat()
    if status.st_mode & stat.S_ISVTX or status.st_uid != os.getuid():
        return path
    path.chmod(FOLDER_MODE)
    return path


def private_file(path: Path) -> Path:
    """Make an existing file private (a database and its -wal and -shm companions)."""
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if candidate.exists():
            candidate.chmod(FILE_MODE)
    return path


def open_private(path: Path):
    """A new file opened for binary writing, created 0600 (never readable by others, even briefly)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE), "wb")
