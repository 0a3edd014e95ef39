"""The ``rnn.targets.*`` claims, a module per target: ``rnn.targets.<target>-<what>`` lives in
``spec/claims/targets/rnn/<target>.py`` (a family grown past ~500 lines becomes a package, split by the first
word of ``<what>``)."""
