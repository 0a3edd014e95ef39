"""Claims about the sources' programs (:mod:`reference.programs`): their data pipeline, models and
training practice. They check our reproduction of the sources, not torch, and the matrix and docs keep
them apart from :mod:`spec.claims`. One package per kind, one module per family in it, as there:
``spec/programs/<kind>/<family>.py``.
"""
