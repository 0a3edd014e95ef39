"""Writing a file so that readers see the old version or the new one, never half of one; and never writing
over what is not a regular file.

Every writer of the project (reports, the matrix, the docs, the programs' checkpoints, curves and summaries,
downloads) goes through :func:`replacing`, and every command asks :func:`cannot_write` before its work starts,
so they share one rule: the destination is either absent or a regular file. A device node (``--report
/dev/null`` run as root would otherwise replace the system's ``/dev/null`` with a file), a symbolic link (the
rename would replace the link, not write where it points), a directory, a FIFO or a socket is refused with one
line. A full disk removes the temporary file and leaves the destination untouched; the caller gets an
:class:`OSError` (:class:`WriteError`) whose message is one line naming the destination.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Optional

#: what ``lstat`` may find at a destination other than a regular file, in words
_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
)


#: errors that only writing raises: a full disk, a quota, a file too large
FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class WriteError(OSError):
    """A file that could not be written; ``str()`` is one line naming it and why. Its ``errno`` is the cause's
    (``ENOSPC`` for a full disk), or ``EEXIST`` for a destination that is not a regular file."""

    def __str__(self) -> str:
        return self.strerror or super().__str__()


def not_a_file(path) -> Optional[str]:
    """Why ``path`` may not be replaced by a file (it exists and is not a regular file), or None: the path is
    free, or holds a regular file. The last component is not followed: a link is refused whatever it
    points to (its parents may be links)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as e:  # ENOTDIR (a parent is a file), EACCES, ELOOP ...
        return f"{path} cannot be inspected ({e.strerror or e})"
    if stat.S_ISREG(mode):
        return None
    kind = next((words for test, words in _KINDS if test(mode)), "not a regular file")
    if stat.S_ISLNK(mode):
        with contextlib.suppress(OSError):
            kind += f" (to {os.readlink(path)})"
    return f"{path} is {kind}, not a regular file"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class _Sink:
    """A binary file's ``write`` and ``flush``, keeping the :class:`OSError` a write raised: ``torch.save``
    turns a full disk into a RuntimeError that names no cause ("unexpected pos ...")."""

    def __init__(self, file):
        self.file, self.error = file, None

    def write(self, data):
        try:
            return self.file.write(data)
        except OSError as e:
            self.error = e
            raise

    def flush(self):
        try:
            return self.file.flush()
        except OSError as e:
            self.error = e
            raise


@contextlib.contextmanager
def replacing(path):
    """Yield a temporary path beside ``path``. If the block succeeds, the temporary file replaces
    ``path`` in one rename, with the permissions a new file would get (0666 less the umask, where
    mkstemp alone gives 0600); if it fails, the temporary file is removed and ``path`` is untouched.

    ``path`` must be absent or a regular file, checked before the block runs and again just before the
    rename (something may have taken its place meanwhile): otherwise :class:`WriteError` and nothing is
    written. An :class:`OSError` of making, finishing or renaming the temporary file (a full disk, a read-only
    file system), or a full disk or quota in the block, is a :class:`WriteError` naming ``path``, its
    ``errno`` kept; the block's other errors (a failed download) come out as they were raised. Either way the
    temporary file is removed."""
    path = Path(path)
    _refuse_if_not_a_file(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as e:
        raise _write_error(path, e) from None
    try:
        try:
            yield Path(tmp)
        except WriteError:
            raise
        except OSError as e:
            if e.errno in FULL:
                raise _write_error(path, e) from None
            raise
        try:
            os.chmod(tmp, 0o666 & ~_umask())
            _refuse_if_not_a_file(path)
            os.replace(tmp, path)
        except WriteError:
            raise
        except OSError as e:
            raise _write_error(path, e) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


@contextlib.contextmanager
def replacing_file(path):
    """:func:`replacing`, yielding the temporary file opened for binary writing, for writers that take a file
    (``torch.save``): an :class:`OSError` of writing it (a full disk) is what the caller gets, as a
    :class:`WriteError` naming ``path``, even where the writer turned it into another exception."""
    with replacing(path) as tmp:
        sink = None
        try:
            with open(tmp, "wb") as f:
                sink = _Sink(f)
                yield sink
        except Exception as e:
            error = sink.error if sink is not None and sink.error is not None else e
            if isinstance(error, OSError) and not isinstance(error, WriteError):
                raise _write_error(path, error) from None
            raise


def _refuse_if_not_a_file(path: Path) -> None:
    problem = not_a_file(path)
    if problem:
        raise WriteError(errno.EEXIST, f"{problem}: not replaced")


def _write_error(path: Path, e: OSError) -> WriteError:
    return WriteError(e.errno, f"cannot write {path} ({e.strerror or e})")


def cannot_write(path) -> Optional[str]:
    """Why ``path`` could not be written as a file, in a few words, or None if it can: asked before any
    work starts, so a long run does not end by failing to save. The folder need not exist yet (it is
    created when the file is written); the test creates and removes a probe where it would be, so that
    permissions, read-only mounts and pseudo file systems (``/proc`` takes no new entries, even from
    root) are all caught. Something there that is not a regular file (a device node, a link, a folder) is
    refused, as :func:`replacing` would refuse it."""
    path = Path(path)
    problem = not_a_file(path)
    if problem:
        return problem
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
