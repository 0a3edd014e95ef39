"""Numerics: agreement between devices and precisions."""
