"""Claims about torch's recurrent layers, cells, packed sequences and gradient clipping.

One module per kind of claim: the module a claim lives in is its kind (``spec/claims/errors.py`` holds
every error claim). Each claim is a pytest test carrying its metadata (:func:`spec.registry.claim`).
"""
