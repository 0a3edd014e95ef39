"""The ``REFERENCE_SHAPE_CHECKS`` setting, read without importing torch (``reference/common/shapecheck.py`` says
what each value does): the test session, ``verify`` and the programs refuse any other value in one line before
any work."""

from __future__ import annotations

import os
from typing import Optional, Tuple

ENV = "REFERENCE_SHAPE_CHECKS"
MODES = ("1", "all", "0")


def read(environ=None) -> Tuple[str, Optional[str]]:
    """(the mode, why it cannot be used in one line or None); unset or empty is ``1``."""
    mode = (os.environ if environ is None else environ).get(ENV) or "1"
    return mode, None if mode in MODES else f"{ENV}={mode!r} is not one of 1 (the default), all or 0"
