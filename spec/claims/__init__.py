"""Claims about torch's recurrent layers, cells, packed sequences and gradient clipping.

One package per kind of claim, one module per family in it: the claim ``<family>.<kind>.<what>`` lives in
``spec/claims/<kind>/<family>.py`` (``spec/README.md``). Each claim is a pytest test carrying its metadata
(:func:`spec.registry.claim`).
"""
