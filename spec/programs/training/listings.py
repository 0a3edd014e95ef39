"""The sources' training listings replayed as written: 000's classifier and loops, 003's training loop."""

from __future__ import annotations

import math
import random

import pytest
import torch

from reference.programs import sampling, train
from reference.programs.listings import s000, s003
from reference.programs.models import LanguageModel, SentimentClassifier, make_layer
from spec.helpers.modules import data_file
from spec.registry import Seed, claim
from spec.sources.seeds import S000, S003


@claim(
    id="listings.training.s000-classifier",
    statement=(
        "000's classifier and ours are one model: built after the same seed they hold the same parameters "
        "(names, shapes, values) and give the same logits; 000's train() and eval() report the mean of the "
        "batches' accuracies, which differs from the share of reviews classified right when the last batch is "
        "short."
    ),
    modules=("training", "LSTM"),
    sources=(Seed(S000, "IMDB example: class RNN, binary_acc, train() and eval()", line=30),),
)
def test_s000_classifier():
    models = []
    for build in (lambda: s000.Classifier(40, 6, 5), lambda: SentimentClassifier(40, 6, 5)):
        torch.manual_seed(0)
        models.append(build().eval())
    theirs, ours = (dict(m.named_parameters()) for m in models)
    assert list(theirs) == list(ours) and all(torch.equal(theirs[k], ours[k]) for k in theirs), (
        f"names {list(theirs)} against {list(ours)}, values differ at "
        f"{[k for k in theirs if k in ours and not torch.equal(theirs[k], ours[k])]}"
    )
    x = torch.randint(0, 40, (7, 3), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        got, want = models[0](x), models[1](x)
        assert torch.equal(got, want), f"000's classifier {got.tolist()} against ours {want.tolist()}"
    # 5 reviews in batches of 3 and 2; logits by hand: right, right, wrong | right, wrong -> batch accuracies
    # 2/3 and 1/2, whose mean 7/12 is not the 3/5 of the reviews classified right
    batches = [
        (torch.tensor([[2.0, 1.0, 3.0]]), torch.tensor([1.0, 1.0, 0.0])),
        (torch.tensor([[-1.0, -2.0]]), torch.tensor([0.0, 1.0])),
    ]
    fixed = _Fixed()
    # each batch's accuracy is a float32 quotient (2/3 to 6e-8 relative), their mean a float64 one
    assert s000.evaluate(fixed, batches) == pytest.approx(7 / 12, rel=1e-6), (
        f"s000.evaluate {s000.evaluate(fixed, batches)}, not the mean of batch accuracies 7/12"
    )
    assert not fixed.training, "eval() leaves the model in eval mode"
    right = sum(train.binary_accuracy(z.squeeze(0), y) * len(y) for z, y in batches) / 5
    assert right == pytest.approx(3 / 5), f"binary_accuracy gives {right} of the reviews right, not 3/5"


class _Fixed(torch.nn.Module):
    """A 'model' returning its input as the logits (batches of [1, b] come back as [b, 1])."""

    def forward(self, x):
        return x.T


@claim(
    id="listings.training.s003-loop",
    statement=(
        "003's training loop, run as written (train_iter and num_epochs supplied), trains the RNN, GRU and "
        "2-layer LSTM through its in-place detach_() with the losses of our rewrite's loop, and what it prints as "
        "perplexity is the last minibatch's mean cross-entropy as a tensor with grad_fn=<MeanBackward0>."
    ),
    modules=("training", "RNN", "GRU", "LSTM"),
    sources=(
        Seed(S003, "4.3: the three model choices and the training loop", line=446),
        Seed(S003, "4.3: the print of the training loop", line=515),
    ),
)
@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_s003_loop(kind):
    path = data_file("timemachine")
    random.seed(0)
    train_iter, vocab = s003.load_data_time_machine(path, 8, 10, max_tokens=1000)  # small: a fast check
    layers = 2 if kind == "lstm" else 1  # 003's LSTM choice has two layers
    torch.manual_seed(0)
    net = s003.RNNmodel(make_layer(kind, len(vocab), 16, layers), len(vocab))
    printed, losses = s003.training_run(net, train_iter, 1, minibatches=3)
    assert printed[0].startswith("困惑度tensor(") and printed[0].endswith(", grad_fn=<MeanBackward0>)"), (
        f"printed {printed[0]!r}"
    )
    shown = float(printed[0][len("困惑度tensor(") :].split(",")[0])
    assert shown == pytest.approx(losses[-1], abs=5e-5), "the print shows the loss to four decimals"
    assert math.exp(losses[-1]) > losses[-1] + 1, "the loss, not its exp (the perplexity)"
    batches = list(sampling.sequential_iter(train_iter.corpus, 8, 10, random.Random(0)))[:3]
    mine = []
    for n in range(1, 4):  # our rewrite from the same start over the first n minibatches: the n-th one's loss
        m = LanguageModel(make_layer(kind, len(vocab), 16, layers), len(vocab))
        m.load_state_dict(_start(kind, len(vocab), layers))
        ppl, _ = train.train_epoch(m, batches[:n], torch.optim.SGD(m.parameters(), 0.5), 1.0, "cpu", False)
        mine.append(math.log(ppl) * n - sum(mine))
    # float32 losses of a 16-unit model summed in another order: agreement to 1e-5 relative (measured 1e-7)
    assert mine == pytest.approx(losses, rel=1e-5), (mine, losses)


def _start(kind: str, vocab: int, layers: int) -> dict:
    torch.manual_seed(0)
    return LanguageModel(make_layer(kind, vocab, 16, layers), vocab).state_dict()
