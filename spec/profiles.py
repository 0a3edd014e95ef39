"""Hypothesis profiles, registered in one place.

- ``quick``: a handful of examples per claim, for editing loops.
- ``ci``: the default; derandomized, so a run is repeatable and CI is flake-free.
- ``thorough``: many examples with a random seed (printed in the report), for
  release checks; a failure prints the seed and the falsifying configuration.
"""

from __future__ import annotations

import os

PROFILES = {
    "quick": dict(max_examples=8, derandomize=True),
    "ci": dict(max_examples=25, derandomize=True),
    "thorough": dict(max_examples=250, derandomize=False),
}
DEFAULT = "ci"
ENV = "SPEC_PROFILE"


def register() -> None:
    """Register the profiles with hypothesis and load the chosen one (the plugin does this at import)."""
    from hypothesis import HealthCheck, settings

    for name, kw in PROFILES.items():
        settings.register_profile(
            name,
            deadline=None,  # kernels warm up on the first call; timing is for benchmarks
            print_blob=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
            database=None,  # reproducibility comes from derandomize/seed, not a local cache
            **kw,
        )
    settings.load_profile(chosen())


def chosen(option: str | None = None) -> str:
    """The profile in force: ``--hypothesis-profile``, else $SPEC_PROFILE, else ci."""
    return option or os.environ.get(ENV) or DEFAULT
