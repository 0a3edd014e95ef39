"""Small utilities both sides use without importing each other: atomic file writes
(:mod:`.files`) and run-time shape checks (:mod:`.shapecheck`)."""
