"""The five source documents (``../shared/seeds``), by file name. Claims cite them as ``Seed(S003, ...)``."""

S000 = "000_0803d243ad727e4b.txt"  # IMDB sentiment, 2-layer bidirectional LSTM
S001 = "001_aeb7a07ab65f879f.txt"  # RNNCell / RNN, 'hello' -> 'ohlol'
S002 = "002_10f18caa03c370d0.txt"  # nn.RNN / nn.LSTM arguments and shapes
S003 = "003_d1ec100167748cfb.txt"  # Time Machine language models (d2l)
S004 = "004_465858781a221de8.txt"  # Jay Chou lyrics LSTM

#: Every document a claim may cite, in order.
SEED_FILES = (S000, S001, S002, S003, S004)

#: How the docs name each document (its file name is the tooltip): source, and what it is about.
TITLES = {
    S000: "000 · Pytorch RNN study notes (IMDB with a bidirectional LSTM)",
    S001: "001 · PyTorch lecture notes, RNN chapter ('hello' -> 'ohlol')",
    S002: "002 · PyTorch 折桂 13: RNN (constructor arguments and shapes)",
    S003: "003 · Dive into Deep Learning, RNN chapter (Time Machine language models)",
    S004: "004 · LSTM in PyTorch (Jay Chou lyrics)",
}

#: The objects whose docstrings document the layers and the cells alike (``torch_docs(LAYER_DOCS, "Args", "bias")``).
LAYER_DOCS = ("torch.nn.RNN", "torch.nn.LSTM", "torch.nn.GRU")
CELL_DOCS = ("torch.nn.RNNCell", "torch.nn.LSTMCell", "torch.nn.GRUCell")
