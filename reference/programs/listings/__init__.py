"""The sources' code listings replayed as the sources call them, one module per source document.

``reference.programs`` holds our rewrites of the sources' programs (fixed where the sources break); this
package holds the listings themselves, restated in our own code (the documents are copyrighted: their
behaviour carries over, their text does not) but kept faithful to what runs: the same argument types (a
list or a generator, a tensor or a Python number), the same dtype casts, the same call order, the helpers
as the source defines them or imports them (torchtext's legacy vocabulary, Dive-into-DL's ``to_onehot``
and ``grad_clipping``), and the source's names where a reader would look for them. Where a listing cannot
run as printed (a name never defined, a missing argument), the replay supplies the smallest definition that
lets it run and says so; the listing table (``spec/sources/listings.py``) records what each one does.

- :mod:`.s000`: nn.RNN / RNNCell / LSTM / LSTMCell shapes; the IMDB classifier, its vocabulary and loops.
- :mod:`.s001`: RNNCell and nn.RNN shapes; 'hello' -> 'ohlol' with an RNNCell and with nn.RNN.
- :mod:`.s002`: the LSTM(1, 5, 2, batch_first=True) example.
- :mod:`.s003`: the Time Machine pipeline, the language model, prediction, clipping and the training loop.
- :mod:`.s004`: the lyrics pipeline, the consecutive sampler, the LSTM model and its training loop.
"""
