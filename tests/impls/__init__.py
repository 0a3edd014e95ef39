"""Made-up implementations of torch's recurrent API for the meta-tests (tests/test_reach.py): adapters chosen as
``RNN_SPEC_IMPL=tests.impls.null:Null`` or ``tests.impls.lax:Lax``, kept out of ``spec/`` because they exist to
test the spec, not to be tested by it."""
