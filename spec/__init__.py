"""The executable specification of PyTorch's recurrent layers.

- :mod:`spec.claims`: claims about torch; :mod:`spec.programs`: claims about the sources' programs. The claim
  ``<family>.<kind>.<what>`` lives in ``<package>/<kind>/<family>.py`` (``spec/README.md``). Each claim is a
  pytest test carrying its metadata (:mod:`spec.registry`).
- :mod:`spec.helpers`: what the claims share (strategies, tolerances, module helpers, the ONNX oracle).
- :mod:`spec.sources`: the documents claims cite and their statements left unclaimed.
- :mod:`spec.tools`: what collects, reports, compares and renders the claims (plugin, report, CLI, docs).

:func:`load_all` imports every claim module so that the registry is complete without running anything.
"""

from __future__ import annotations

import importlib
import pkgutil

__version__ = "0.1.0"

#: The packages that hold claims, in the order the docs list them.
CLAIM_PACKAGES = ("spec.claims", "spec.programs")


def claim_modules() -> list:
    """Every claim module's dotted name, ``<package>.<kind>.<family>``: the family modules of each kind package
    of :data:`CLAIM_PACKAGES`, no hand-kept list."""
    names = []
    for package in CLAIM_PACKAGES:
        pkg = importlib.import_module(package)
        for kind in pkgutil.iter_modules(pkg.__path__):
            if kind.ispkg:
                sub = importlib.import_module(f"{package}.{kind.name}")
                for m in pkgutil.iter_modules(sub.__path__):
                    if not m.ispkg:
                        names.append(f"{sub.__name__}.{m.name}")
                        continue
                    family = importlib.import_module(f"{sub.__name__}.{m.name}")  # a family split by topic
                    names += [f"{family.__name__}.{t.name}" for t in pkgutil.iter_modules(family.__path__)]
    return names


def load_all():
    """Import every claim module and return the (now complete) registry."""
    from spec.registry import REGISTRY

    for name in claim_modules():
        importlib.import_module(name)
    return REGISTRY
