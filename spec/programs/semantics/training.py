"""Semantics of the training practice the sources' programs share."""

from __future__ import annotations

import pytest
import torch

from reference.programs import train
from reference.programs.models import LanguageModel, make_layer
from spec.registry import Seed, claim
from spec.sources.seeds import S003, S004


@claim(
    id="training.semantics.predict-greedy",
    statement=(
        "Generation feeds the prefix one character at a time to warm the state up, then appends the argmax of "
        "each step: every generated character is the model's top prediction given all the text before it, as "
        "one pass over the whole text computes it."
    ),
    modules=("training", "RNN", "LSTM", "GRU"),
    sources=(
        Seed(S003, "4.3: predict_ch8, a warm-up over the prefix, then num_preds argmax steps", line=425),
        Seed(S004, "the aims: 50 characters generated one at a time after the prefix '分开'", line=15),
    ),
)
@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_predict_greedy(kind, device):
    chars = "abcdefgh"
    torch.manual_seed(0)
    model = LanguageModel(make_layer(kind, len(chars), 16, layers=2), len(chars)).to(device)
    text = train.predict("bad", 12, model, chars.index, chars.__getitem__, device)
    assert text.startswith("bad") and len(text) == 15, (
        f"{kind}: predict('bad', 12) gave {text!r}, not 'bad' and 12 more"
    )
    ids = torch.tensor([[chars.index(c) for c in text]], device=device)
    with torch.no_grad():
        logits, _ = model(ids[:, :-1])  # batch 1: row t is step t
    top2 = logits.topk(2, dim=1).values
    assert (top2[2:, 0] - top2[2:, 1]).min() > 1e-4, "a near tie: the comparison below would test rounding"
    assert logits.argmax(dim=1)[2:].tolist() == ids[0, 3:].tolist(), (
        f"{kind}: predicted {text!r}, the argmax of each step {logits.argmax(dim=1)[2:].tolist()} against "
        f"{ids[0, 3:].tolist()}"
    )
