"""Warnings: what the layers warn about, release by release."""
