"""A pytest plugin for the meta-tests' runs (``-p tests.impls.noshrink``): the ``quick`` profile without
Hypothesis's shrink phase. A case passes or fails the same with or without it (shrinking only makes a failure it
has found smaller); under the null implementation every case fails, and shrinking each would take most of the run."""

from __future__ import annotations

import pytest


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    from hypothesis import Phase, settings

    settings.register_profile("quick-noshrink", settings.get_profile("quick"), phases=(Phase.explicit, Phase.generate))
    settings.load_profile("quick-noshrink")
