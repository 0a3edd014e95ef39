"""What the sources' programs compute: greedy prediction, packed versus padded batches."""

from __future__ import annotations

import pytest
import torch

from reference.programs import train
from reference.programs.models import LanguageModel, make_layer
from spec.helpers.tolerances import assert_close
from spec.registry import Seed, TorchDoc, claim
from spec.sources.seeds import S000, S003, S004


@claim(
    id="sentiment.semantics.packed-versus-padded",
    statement=(
        "In the IMDB classifier, a packed batch gives every review the logit it gets alone, while a padded "
        "batch runs the LSTM over the padding, so a shorter review's logit changes with its batch."
    ),
    modules=("LSTM", "PackedSequence", "training"),
    sources=(
        Seed(S000, "IMDB example: BucketIterator batches of padded reviews into the LSTM", line=30),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "lengths"),
    ),
)
def test_packed_versus_padded(device):
    from reference.programs.models import SentimentClassifier

    torch.manual_seed(0)
    model = SentimentClassifier(50, embedding_dim=8, hidden=6).to(device).eval()
    reviews = [torch.randint(2, 50, (n,)) for n in (9, 4)]
    x = torch.ones(9, 2, dtype=torch.long)  # padded with index 1
    for col, r in enumerate(reviews):
        x[: len(r), col] = r
    x, lengths = x.to(device), torch.tensor([9, 4])
    with torch.no_grad():
        alone = [model(r.view(-1, 1).to(device)) for r in reviews]
        packed = model(x, lengths)
        padded = model(x)
    assert_close(packed, torch.cat(alone), "packed: each review as if alone")
    assert_close(padded[0:1], alone[0], "padded: the longest review is unaffected")
    assert (padded[1] - alone[1]).abs().max() > 1e-6, "padding should have changed the short review's logit"


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
    assert text.startswith("bad") and len(text) == 15
    ids = torch.tensor([[chars.index(c) for c in text]], device=device)
    with torch.no_grad():
        logits, _ = model(ids[:, :-1])  # batch 1: row t is step t
    top2 = logits.topk(2, dim=1).values
    assert (top2[2:, 0] - top2[2:, 1]).min() > 1e-4, "a near tie: the comparison below would test rounding"
    assert logits.argmax(dim=1)[2:].tolist() == ids[0, 3:].tolist()
