import os
from pathlib import Path

# The data claims and example tests find the sources' data beside the checkout unless told otherwise.
_shared = Path(__file__).resolve().parent.parent / "shared" / "data"
if "RNN_SPEC_DATA" not in os.environ and _shared.is_dir():
    os.environ["RNN_SPEC_DATA"] = str(_shared)

# What a session needs to run the claims (the axes, the recorder, assertion rewriting, the claims' collection, the
# REFERENCE_SHAPE_CHECKS check) is one plugin inside the package, so that an installed suite runs them exactly as a
# checkout does (`python -m spec verify` loads it with -p, an implementer's session with `pytest --rnn-spec`).
pytest_plugins = ["spec.pytest_plugin"]
