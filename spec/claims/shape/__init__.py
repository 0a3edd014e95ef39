"""Shapes: what nn.RNN / nn.LSTM / nn.GRU, their cells and packed sequences return, for every layout."""
