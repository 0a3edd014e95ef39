"""Shape of the training practice the sources' programs share."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from reference.programs import train
from reference.programs.models import LanguageModel, make_layer
from spec.helpers.tolerances import assert_close
from spec.registry import Erratum, Seed, claim
from spec.sources.seeds import S003, S004


@claim(
    id="training.shape.time-major-by-transpose",
    statement=(
        "Minibatches come as [batch, num_steps]; a seq-first layer needs [num_steps, batch, ...], which "
        "transposing gives (the same result as batch_first=True on the minibatch), while reshaping to that "
        "shape splices pieces of different sequences together."
    ),
    modules=("training", "RNN", "LSTM", "GRU"),
    sources=(
        Seed(
            S003, "3.2: the batch shape (batchsize, num_steps, len(vocab)) and its change to (num_steps, ...)", line=167
        ),
        Seed(S003, "4.2: RNNmodel.forward, F.one_hot(inputs.T.long(), ...)", line=392),
        Seed(S004, "RNNModel.forward: to_onehot(inputs), one [batch, vocab] per step, stacked", line=86),
    ),
    erratum=Erratum(
        Seed(S003, "3.2, the remark after the batch shape", line=169),
        says="a reshape turns the (batchsize, num_steps, len(vocab)) batch into (num_steps, batchsize, len(vocab))",
    ),
)
@given(batch=st.integers(2, 4), steps=st.integers(2, 5), mode=st.sampled_from(("RNN", "LSTM", "GRU")))
def test_time_major_by_transpose(batch, steps, mode):
    vocab = batch * steps  # every token distinct, so any rearrangement shows
    x = torch.nn.functional.one_hot(torch.arange(vocab).view(batch, steps), vocab).double()  # [batch, steps, V]
    torch.manual_seed(0)
    seq_first = getattr(torch.nn, mode)(vocab, 3).double()
    batch_first = getattr(torch.nn, mode)(vocab, 3, batch_first=True).double()
    batch_first.load_state_dict(seq_first.state_dict())
    with torch.no_grad():
        expected = batch_first(x)[0]  # [batch, steps, H]
        transposed = seq_first(x.transpose(0, 1))[0].transpose(0, 1)
        reshaped = seq_first(x.reshape(steps, batch, vocab))[0].reshape(batch, steps, 3)
    assert_close(transposed, expected, "time-major by transpose against batch_first")
    assert not torch.equal(x.reshape(steps, batch, vocab), x.transpose(0, 1)), (
        "reshape and transpose give the same tensor here: the comparison shows nothing"
    )
    assert (reshaped[0] - expected[0]).abs().max() > 1e-6, "sequence 0 survived the reshape"


@claim(
    id="training.shape.lm-output-rows",
    statement=(
        "The language model's linear head sees Y.reshape(-1, D*H), so output row t*batch + b is step t of "
        "sequence b and the matching targets are Y.T.reshape(-1), not Y.reshape(-1)."
    ),
    modules=("training", "RNN", "LSTM", "GRU"),
    sources=(
        Seed(S003, "4.2: RNNmodel.forward, linear over Y.reshape((-1, Y.shape[-1]))", line=397),
        Seed(S004, "RNNModel.forward and y = torch.transpose(Y, 0, 1).contiguous().view(-1)", line=121),
        Seed(S003, "4.3, the training loop: y = Y.T.reshape(-1)", line=498),
        Seed(S004, "RNNModel.forward: the comments on the (num_steps * batch_size, ...) shapes", line=88),
    ),
)
@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_lm_output_rows(kind, device):
    torch.manual_seed(0)
    model = LanguageModel(make_layer(kind, 11, 8, layers=2), 11).to(device)
    x = torch.randint(0, 11, (3, 5), device=device)  # [batch, steps]
    with torch.no_grad():
        logits, _ = model(x)
        for b in range(3):  # each sequence alone gives its own rows
            alone, _ = model(x[b : b + 1])
            assert_close(logits.view(5, 3, 11)[:, b], alone, f"sequence {b}")
    y = (x * 7 + 3) % 11  # made-up targets, one per step
    ce = torch.nn.functional.cross_entropy
    with torch.no_grad():  # each sequence scored alone against its own targets: the pairing, computed apart
        alone = sum(ce(model(x[b : b + 1])[0], y[b]).item() for b in range(3)) / 3
        paired = ce(logits, train.targets(y).to(device)).item()
        crossed = ce(logits, y.reshape(-1)).item()
    # float32 cross-entropies of 15 rows: one step's float32 tolerance on the mean
    assert paired == pytest.approx(alone, rel=1e-5), "the program's targets do not pair with the output rows"
    assert abs(crossed - alone) > 1e-3, "Y.reshape(-1) should pair rows with other sequences' targets"


@claim(
    id="training.shape.bidirectional-head",
    statement=(
        "A bidirectional layer's output is 2 * num_hiddens wide (both directions side by side), so the language "
        "model's linear head needs 2 * num_hiddens inputs and its begin_state 2 * num_layers rows; a head of "
        "num_hiddens inputs raises RuntimeError."
    ),
    modules=("training", "RNN", "LSTM", "GRU"),
    sources=(
        Seed(S003, "4.2: RNNmodel.__init__, num_directions 2 and a linear of num_hiddens * 2 inputs", line=383),
        Seed(S003, "4.2: RNNmodel.begin_state, num_directions * num_layers rows", line=400),
        Seed(S004, "RNNModel.__init__: hidden_size doubled when rnn_layer.bidirectional", line=79),
    ),
)
@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_bidirectional_head(kind, device):
    torch.manual_seed(0)
    layer = getattr(torch.nn, kind.upper())(7, 5, num_layers=2, bidirectional=True)
    model = LanguageModel(layer, 7).to(device)
    assert model.linear.in_features == 10, f"{kind}: the head takes {model.linear.in_features} features, not 2 x 5"
    x = torch.randint(0, 7, (3, 4), device=device)  # [batch, steps]
    state = model.begin_state(3, device)
    states = state if isinstance(state, tuple) else (state,)
    assert all(s.shape == (4, 3, 5) for s in states), f"{kind}: begin_state {[tuple(s.shape) for s in states]}"
    with torch.no_grad():
        logits, _ = model(x, state)
        assert logits.shape == (4 * 3, 7), f"{kind}: logits {tuple(logits.shape)}, not (12, 7)"
        narrow = torch.nn.Linear(5, 7).to(device)
        y, _ = model.rnn(torch.nn.functional.one_hot(x.T, 7).float(), state)
        assert y.shape[-1] == 10, f"{kind}: the layer returns {y.shape[-1]} features, not 10"
        with pytest.raises(RuntimeError):
            narrow(y.reshape(-1, y.shape[-1]))
