"""Which suite this is: its version, its revision, and whether it runs from a checkout or an installed wheel.

- :func:`checkout`: the repository root when the ``spec`` package imported is a checkout's (its
  ``pyproject.toml`` names this project beside it), else None (a wheel installed in site-packages).
- :func:`revision`: the checkout's git HEAD (``-dirty`` with uncommitted changes to the suite, :data:`OUTPUTS`
  aside); in a wheel, the revision
  recorded when it was built (``spec/REVISION``, written by ``setup.py``); ``SPEC_GIT_REVISION`` overrides both
  (a copy of the tree whose ``.git`` is not the one it came from); ``unknown`` when none of these says.

Run with no torch and no pytest: ``python -m spec --version`` and ``setup.py`` (which loads this file by path
while building the wheel) read it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Optional

PACKAGE = Path(__file__).resolve().parent
#: the distribution's name, as pyproject.toml gives it
DISTRIBUTION = "rnn-spec"
#: the file a wheel carries its build's revision in
RECORDED = PACKAGE / "REVISION"
ENV = "SPEC_GIT_REVISION"
UNKNOWN = "unknown"
#: the folders that hold what the suite made (stored results, generated pages), not what makes it: a change there
#: does not make the revision dirty, so a result stored by a refresh step after another's names the code it ran
OUTPUTS = ("reports", "docs")


def checkout() -> Optional[Path]:
    """The root of the checkout this ``spec`` was imported from, or None when it is installed (a wheel)."""
    root = PACKAGE.parent
    try:
        text = (root / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return None
    return root if f'name = "{DISTRIBUTION}"' in text else None


def git_head(root: Path) -> Optional[str]:
    """HEAD of the git repository at ``root`` with ``-dirty`` for uncommitted changes to tracked files outside
    :data:`OUTPUTS`; None when ``root`` is not the top of a repository (a folder inside someone else's) or git is
    missing."""

    def git(*args) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)

    try:
        top = git("rev-parse", "--show-toplevel")
        if top.returncode != 0 or Path(top.stdout.strip()).resolve() != root.resolve():
            return None
        rev = git("rev-parse", "HEAD")
        if rev.returncode != 0:
            return None
        aside = [f":(exclude){name}" for name in OUTPUTS]
        status = git("status", "--porcelain", "--untracked-files=no", "--", ".", *aside)
        if status.returncode != 0:  # cannot tell whether it is dirty: no revision rather than a clean-looking one
            return None
    except (OSError, subprocess.SubprocessError):
        return None
    return rev.stdout.strip() + ("-dirty" if status.stdout.strip() else "")


def revision() -> str:
    """The suite's revision: ``$SPEC_GIT_REVISION``, the checkout's HEAD, the wheel's recorded one, or unknown."""
    if os.environ.get(ENV):
        return os.environ[ENV]
    root = checkout()
    if root is not None:
        return git_head(root) or UNKNOWN
    try:
        return RECORDED.read_text(encoding="utf-8").strip() or UNKNOWN
    except OSError:
        return UNKNOWN


def describe() -> str:
    """One line for ``--version``: ``rnn-spec 0.1.0 (git <revision>, checkout <path>|installed at <path>)``."""
    import spec

    root = checkout()
    where = f"checkout {root}" if root is not None else f"installed at {PACKAGE}"
    return f"{DISTRIBUTION} {spec.__version__} (git {revision()}; {where})"
