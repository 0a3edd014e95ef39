"""The ``rnn.autograd.*`` claims, a module per topic: ``rnn.autograd.<topic>-<what>`` lives in
``spec/claims/autograd/rnn/<topic>.py`` (a family grown past ~500 lines becomes a package, split by the first
word of ``<what>``)."""
