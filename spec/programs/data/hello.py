"""The 'hello' data (S001), as its listing builds it."""

from __future__ import annotations

import torch

from spec.registry import Seed, claim
from spec.sources.seeds import S001


@claim(
    id="hello.data.one-hot",
    statement=(
        "001's lookup table through torch.Tensor(...).view(-1, 1, 4) encodes 'hello' as float32 one-hot rows "
        "h = [0, 1, 0, 0], e = [1, 0, 0, 0], l = [0, 0, 1, 0], o = [0, 0, 0, 1] of shape [5, 1, 4], equal to "
        "F.one_hot and to our rewrite's input; the labels are int64, [5, 1] in the RNNCell listing (each step's "
        "label then [1], as CrossEntropyLoss wants beside a [1, 4] hidden state) and [5] in the nn.RNN one."
    ),
    modules=("data", "RNNCell", "RNN"),
    sources=(
        Seed(S001, "3. the data: idx2char, x_data, y_data, the one-hot lookup and the LongTensor labels", line=90),
    ),
)
def test_hello_one_hot():
    from reference.programs.listings import s001
    from reference.programs.models import hello_data

    by_hand = {
        "h": [0.0, 1.0, 0.0, 0.0],
        "e": [1.0, 0.0, 0.0, 0.0],
        "l": [0.0, 0.0, 1.0, 0.0],
        "o": [0.0, 0.0, 0.0, 1.0],
    }
    inputs, labels = s001.hello_tensors()
    assert inputs.dtype == torch.float32 and inputs.shape == (5, 1, 4), (
        f"inputs {inputs.dtype} {tuple(inputs.shape)}, not float32 (5, 1, 4)"
    )
    assert inputs.view(5, 4).tolist() == [by_hand[c] for c in "hello"], (
        f"inputs {inputs.view(5, 4).tolist()}, not 'hello' one-hot by hand"
    )
    assert torch.equal(inputs, torch.nn.functional.one_hot(torch.tensor(s001.X_DATA), 4).float().view(5, 1, 4)), (
        f"inputs {inputs.view(5, 4).tolist()}, not one_hot(X_DATA) {s001.X_DATA}"
    )
    assert torch.equal(inputs, hello_data()[0]), "s001's inputs differ from reference.programs.models.hello_data()'s"
    assert labels.dtype == torch.int64 and labels.shape == (5, 1), (
        f"labels {labels.dtype} {tuple(labels.shape)}, not int64 (5, 1)"
    )
    assert [s001.IDX2CHAR[i] for i in labels.view(-1).tolist()] == list("ohlol"), (
        f"labels {labels.view(-1).tolist()} do not spell 'ohlol'"
    )
    assert all(step.shape == (1,) for step in labels), f"label steps {[tuple(step.shape) for step in labels]}, not (1,)"
    flat = s001.hello_tensors(rnn_version=True)[1]
    assert flat.shape == (5,) and torch.equal(flat, hello_data()[1]), (
        f"rnn_version labels {flat.tolist()}, not hello_data()'s {hello_data()[1].tolist()}"
    )
