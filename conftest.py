import pytest

# Claims live in spec/<topic>.py, which pytest would not rewrite by default: rewrite them
# so a failed assert shows its operands.
pytest.register_assert_rewrite("spec", "reference")

# The spec's pytest plugin serves both `pytest` and `python -m spec verify`.
pytest_plugins = ["spec.plugin"]
