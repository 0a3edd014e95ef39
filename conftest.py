import os
from pathlib import Path

import pytest

# The data claims and example tests find the sources' data beside the checkout unless told otherwise.
_shared = Path(__file__).resolve().parent.parent / "shared" / "data"
if "RNN_SPEC_DATA" not in os.environ and _shared.is_dir():
    os.environ["RNN_SPEC_DATA"] = str(_shared)


def pytest_configure(config):
    """A REFERENCE_SHAPE_CHECKS that is none of the documented values stops the session at its start, in one
    line (common/shapecheck.py), rather than failing every case that calls the reference."""
    from common.shapemode import read  # not common.shapecheck: an xdist controller never imports torch

    problem = read()[1]
    if problem:
        raise pytest.UsageError(problem)


# Claims live in spec/claims/ and spec/programs/, which pytest would not rewrite by default: rewrite them
# so a failed assert shows its operands.
pytest.register_assert_rewrite("spec", "reference")

# The spec's pytest plugins serve both `pytest` and `python -m spec verify`: the axes each claim runs along
# (device, target, implementation), and the recorder that writes the report.
pytest_plugins = ["spec.helpers.axes", "spec.tools.plugin"]
