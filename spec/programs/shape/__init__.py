"""Shapes in the sources' programs: time-major input and the language model's output rows."""
