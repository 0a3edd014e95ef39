"""``python -m spec docs``: the site, one generator per page (``index``, ``matrix``, ``claims``, ``targets``,
``implementations``, ``errata``, ``sources``, ``mutants``, ``benchmarks``, ``programs``, ``torch_docs``,
``coverage``), assembled and written or checked for freshness by ``site``.

Everything is computed in memory first; a bad report (unreadable, unknown schema, a claim ID the registry no
longer has) stops the run with a one-line error before any file is touched. Pages are then written atomically,
and generated pages that no longer have a source are removed.
"""
