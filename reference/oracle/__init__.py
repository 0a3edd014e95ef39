"""From the equations: cells (:mod:`.cells`) and multi-layer, bidirectional, packed layers (:mod:`.layers`).

Only plain tensor ops; no torch RNN kernel is called, so agreement with torch is evidence, not tautology.
"""
