"""What a pytest process is within a run, for the spec's two plugins (``spec/helpers/axes.py`` and
``spec/tools/plugin.py``): with pytest-xdist (``-n N``) a controller hands the cases to workers and runs none
itself, so it configures no target, imports no torch and records no case of its own."""

from __future__ import annotations


def is_worker(config) -> bool:
    return hasattr(config, "workerinput")


def is_controller(config) -> bool:
    """This process hands the cases to pytest-xdist workers (``-n N``, N > 0) and runs none itself."""
    return not is_worker(config) and (getattr(config.option, "dist", "no") or "no") != "no"


#: what a controller writes to stderr when a worker ended without handing over its cases (it crashed): it writes
#: no report, and ``verify`` turns the line into its one-line error
LOST = "spec: a pytest worker stopped before the end"
