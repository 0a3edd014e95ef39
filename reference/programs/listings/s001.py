"""Source 001's listings: RNNCell and nn.RNN shapes, then 'hello' -> 'ohlol' twice (lines 10-230).

Each function replays one listing as printed, returning what the listing prints instead of printing it.
"""

from __future__ import annotations

import torch

from reference.common.shapecheck import Float, Tensor, checked

IDX2CHAR = ["e", "h", "l", "o"]
X_DATA = [1, 0, 2, 2, 3]  # h e l l o
Y_DATA = [3, 1, 2, 3, 2]  # o h l o l


def cell_shapes(seed: int = 0) -> list:
    """Lines 10-32: an RNNCell(4, 2) stepped over a [3, 1, 4] input; per step the printed shapes, last the
    final hidden state (whose repr the listing prints)."""
    torch.manual_seed(seed)
    seq_len, batch_size, input_size, hidden_size = 3, 1, 4, 2
    dataset = torch.randn(seq_len, batch_size, input_size)
    hidden = torch.zeros(batch_size, hidden_size)
    cell = torch.nn.RNNCell(input_size=input_size, hidden_size=hidden_size)
    printed = []
    for step in dataset:
        hidden = cell(step, hidden)
        printed.append(
            {
                "input": tuple(step.shape),
                "weight_ih": tuple(cell.weight_ih.shape),
                "bias_ih": tuple(cell.bias_ih.shape),
                "output": tuple(hidden.shape),
                "weight_hh": tuple(cell.weight_hh.shape),
                "bias_hh": tuple(cell.bias_hh.shape),
            }
        )
    return printed + [hidden]


def rnn_shapes(seed: int = 0):
    """Lines 55-70: nn.RNN(4, 2, num_layers=1) over a [3, 1, 4] input from a zero [1, 1, 2] state;
    returns (out, hidden) as the listing prints them."""
    torch.manual_seed(seed)
    dataset = torch.randn(3, 1, 4)
    hidden = torch.zeros(1, 1, 2)
    layer = torch.nn.RNN(input_size=4, hidden_size=2, num_layers=1)
    return layer(dataset, hidden)


def hello_tensors(rnn_version: bool = False):
    """Lines 90-101 (and 166-177): the one-hot rows built from a Python lookup table through the legacy
    ``torch.Tensor`` constructor (float32), viewed as [5, 1, 4]; labels a LongTensor, viewed as [5, 1] by the
    RNNCell listing and left [5] by the nn.RNN one."""
    lookup = [[1 if i == j else 0 for j in range(4)] for i in range(4)]
    inputs = torch.Tensor([lookup[x] for x in X_DATA]).view(-1, 1, 4)
    labels = torch.LongTensor(Y_DATA)
    return inputs, (labels if rnn_version else labels.view(-1, 1))


class CellModel(torch.nn.Module):
    """Lines 103-115: an RNNCell whose hidden state is the output; ``init_hidden`` gives zeros."""

    def __init__(self, input_size: int, hidden_size: int, batch_size: int):
        super().__init__()
        self.batch_size, self.input_size, self.hidden_size = batch_size, input_size, hidden_size
        self.rnncell = torch.nn.RNNCell(input_size=input_size, hidden_size=hidden_size)

    def forward(self, x: Tensor, hidden: Tensor) -> Tensor:
        return self.rnncell(x, hidden)

    def init_hidden(self) -> Tensor:
        return torch.zeros(self.batch_size, self.hidden_size)


class RNNModel(torch.nn.Module):
    """Lines 179-192: nn.RNN from a zero state made in forward; outputs viewed as [seq * batch, hidden]
    (the view reads the module-level ``hidden_size``, 4, as the listing does)."""

    def __init__(self, input_size: int, hidden_size: int, batch_size: int, num_layers: int = 1):
        super().__init__()
        self.num_layers, self.batch_size = num_layers, batch_size
        self.input_size, self.hidden_size = input_size, hidden_size
        self.rnn = torch.nn.RNN(input_size=input_size, hidden_size=hidden_size, num_layers=num_layers)

    @checked
    def forward(self, x: Float[Tensor, "seq batch input"]) -> Float[Tensor, "seq*batch 4"]:
        hidden = torch.zeros(self.num_layers, self.batch_size, self.hidden_size)
        out, _ = self.rnn(x, hidden)
        return out.view(-1, 4)


def train_cell(seed: int = 0, epochs: int = 20) -> list:
    """Lines 116-137: Adam(lr 0.1), per epoch a fresh hidden state, the loss summed over the five steps,
    the argmax of each step printed; returns the printed log, [(predicted word, loss.item())]."""
    torch.manual_seed(seed)
    inputs, labels = hello_tensors()
    net = CellModel(4, 4, 1)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(net.parameters(), lr=0.1)
    log = []
    for _ in range(epochs):
        loss = 0  # a Python int, to which the first step's tensor loss is added
        optimizer.zero_grad()
        hidden = net.init_hidden()
        word = ""
        for x, label in zip(inputs, labels):  # x [1, 4], label [1]
            hidden = net(x, hidden)
            loss += criterion(hidden, label)
            _, idx = hidden.max(dim=1)
            word += IDX2CHAR[idx.item()]
        loss.backward()
        optimizer.step()
        log.append((word, loss.item()))
    return log


def train_rnn(seed: int = 0, epochs: int = 20) -> list:
    """Lines 193-209: Adam(lr 0.1), the mean cross-entropy over the five steps, the predicted word taken
    from the output of the forward pass before the step; returns [(predicted word, loss.item())]."""
    torch.manual_seed(seed)
    inputs, labels = hello_tensors(rnn_version=True)
    net = RNNModel(4, 4, 1, num_layers=1)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(net.parameters(), lr=0.1)
    log = []
    for _ in range(epochs):
        optimizer.zero_grad()
        output = net(inputs)
        loss = criterion(output, labels)
        loss.backward()
        optimizer.step()
        _, idx = output.max(dim=1)
        log.append(("".join(IDX2CHAR[i] for i in idx.data.numpy()), loss.item()))
    return log


@checked
def untrained_losses(version: str, seeds) -> Float[Tensor, " seeds"]:
    """The first epoch's printed loss (the untrained model's) for each seed, replaying only the forward pass."""
    out = []
    for seed in seeds:
        torch.manual_seed(seed)
        with torch.no_grad():
            if version == "cell":
                inputs, labels = hello_tensors()
                net, hidden, loss = CellModel(4, 4, 1), None, 0.0
                hidden = net.init_hidden()
                for x, label in zip(inputs, labels):
                    hidden = net(x, hidden)
                    loss += torch.nn.functional.cross_entropy(hidden, label).item()
            else:
                inputs, labels = hello_tensors(rnn_version=True)
                loss = torch.nn.functional.cross_entropy(RNNModel(4, 4, 1)(inputs), labels).item()
        out.append(loss)
    return torch.tensor(out, dtype=torch.float64)


def first_ohlol(log: list) -> int:
    """The 1-based epoch at which a log first shows 'ohlol' (0: never)."""
    return next((n for n, (word, _) in enumerate(log, 1) if word == "ohlol"), 0)
