"""State of the training practice the sources' programs share."""

from __future__ import annotations

import math

import pytest
import torch

from reference.programs import train
from reference.programs.models import LanguageModel, make_layer
from spec.helpers.tolerances import tf32, tolerance
from spec.registry import Erratum, Seed, claim
from spec.sources.seeds import S003, S004


@claim(
    id="training.state.per-epoch-and-per-sampling",
    statement=(
        "The training loop starts every epoch from a zero state; under sequential or consecutive sampling each "
        "minibatch then continues from the previous one's final state (an epoch's loss is that of one pass over "
        "each row), under random sampling every minibatch starts from zeros."
    ),
    modules=("training", "RNN", "LSTM", "GRU"),
    sources=(
        Seed(S003, "4.3, the training loop: begin_state when state is None or use_random_iter", line=489),
        Seed(S004, "the quoted D2L passage: initialise the hidden state only at the start of each epoch", line=50),
    ),
    erratum=Erratum(
        Seed(S004, "train_and_predict_rnn_pytorch: state = None before the epoch loop", line=104),
        says=(
            "the state is set to None once, before all epochs, so each epoch's first minibatch starts from the "
            "previous epoch's last state, although it does not continue that minibatch in the corpus"
        ),
    ),
)
@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_state_per_epoch_and_sampling(kind, device):
    from reference.programs import sampling

    corpus = torch.randint(0, 10, (400,), generator=torch.Generator().manual_seed(0)).tolist()  # made up
    batches = list(sampling.consecutive_iter(corpus, 4, 7))
    assert batches[0][0][1, 0] != batches[-1][0][1, -1] + 1, "an epoch's first minibatch continued its last"
    torch.manual_seed(0)
    model = LanguageModel(make_layer(kind, 10, 12), 10).to(device)
    with torch.no_grad():  # larger recurrent weights, so that the state carried in clearly matters
        model.rnn.weight_hh_l0.mul_(4)
    frozen = torch.optim.SGD(model.parameters(), lr=0.0)  # the loop runs in full; the weights stay put
    xs, ys = torch.cat([x for x, _ in batches], 1), torch.cat([y for _, y in batches], 1)
    ce = torch.nn.functional.cross_entropy
    # TF32 off: float32 throughout, so the tolerance is float32's on both devices (one step's: the loss is a
    # mean over every prediction of the epoch, whose rounding errors average out rather than add up)
    rel = tolerance(device, torch.float32, tf32=False)["rtol"]
    with tf32(False):
        with torch.no_grad():
            one_pass = ce(model(xs.to(device))[0], ys.T.reshape(-1).to(device)).item()
            fresh = sum(ce(model(x.to(device))[0], y.T.reshape(-1).to(device)).item() for x, y in batches)
            fresh /= len(batches)
        for _ in range(2):  # a second epoch gives the same loss: it starts from zeros again
            carried, _ = train.train_epoch(model, batches, frozen, 1.0, device, random_sampling=False)
            assert math.log(carried) == pytest.approx(one_pass, rel=rel), (
                f"{kind}: state carried, epoch loss {math.log(carried)} against one pass {one_pass} (rel {rel})"
            )
        reset, _ = train.train_epoch(model, batches, frozen, 1.0, device, random_sampling=True)
        assert math.log(reset) == pytest.approx(fresh, rel=rel), (
            f"{kind}: state reset, epoch loss {math.log(reset)} against minibatch by minibatch {fresh} (rel {rel})"
        )
    assert abs(one_pass - fresh) > 20 * rel * one_pass, "carrying the state should change the loss"
