"""A made-up third-party library tested against the spec from outside ``spec/``, as its authors would.

- ``fusedlstm/``: the library, an LSTM written from scratch whose parameters do not map one to one onto torch's
  (one fused weight ``[4H, I + H]`` and one bias ``[4H]`` per layer and direction, no ``all_weights``);
  ``fusedlstm/planted.py`` holds two planted bugs.
- ``fusedlstm_spec.py``: its adapter (``RNN_SPEC_IMPL=tests.thirdparty.fusedlstm_spec:FusedLSTMSpec``) and
  the adapters of the planted bugs.
- ``fusedlstm.json``: its known file (what it refuses), kept beside the adapter.

``tests/test_thirdparty.py`` checks the adapter's mapping and runs ``python -m spec verify`` against all three.
"""
