"""Simulated regressions: the catalogue, the pytest plugin that applies one, and the campaign that runs them all."""
