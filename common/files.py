"""Writing a file so that readers see the old version or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Optional


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def replacing(path):
    """Yield a temporary path beside ``path``. If the block succeeds, the temporary file replaces
    ``path`` in one rename, with the permissions a new file would get (0666 less the umask, where
    mkstemp alone gives 0600); if it fails, the temporary file is removed and ``path`` is untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def cannot_write(path) -> Optional[str]:
    """Why ``path`` could not be written as a file, in a few words, or None if it can: asked before any
    work starts, so a long run does not end by failing to save. The folder need not exist yet (it is
    created when the file is written); the test creates and removes a probe where it would be, so that
    permissions, read-only mounts and pseudo file systems (``/proc`` takes no new entries, even from
    root) are all caught."""
    path = Path(path)
    if path.is_dir():
        return f"{path} is a directory"
    folder = path.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a folder"
    try:
        if existing == folder:
            fd, probe = tempfile.mkstemp(prefix=".probe-", dir=folder)
            os.close(fd)
            os.unlink(probe)
        else:  # a folder would have to be made: make one there and remove it
            os.rmdir(tempfile.mkdtemp(prefix=".probe-", dir=existing))
    except OSError as e:
        return f"cannot create files in {existing} ({e.strerror or e})"
    return None
