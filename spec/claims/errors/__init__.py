"""Errors: what the layers, cells and packing functions reject, and how, release by release."""
