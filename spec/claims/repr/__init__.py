"""Repr: how the layers print."""
