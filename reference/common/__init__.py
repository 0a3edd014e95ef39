"""Small utilities the spec and the reference share: atomic file writes (:mod:`.files`), run-time shape checks
(:mod:`.shapecheck`, their setting read without torch in :mod:`.shapemode`) and walking a recurrent state
(:mod:`.states`). They live under ``reference`` because the spec may import the reference and never the reverse;
they import nothing else of either side (``tests/test_registry.py``), so ``spec/tools`` may use them."""
