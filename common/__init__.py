"""Small utilities both sides use without importing each other: atomic file writes
(:mod:`.files`), run-time shape checks (:mod:`.shapecheck`) and walking a recurrent state (:mod:`.states`)."""
