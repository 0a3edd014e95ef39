"""Semantics of the IMDB sentiment program (S000)."""

from __future__ import annotations

import torch

from spec.helpers.tolerances import assert_close
from spec.registry import Seed, TorchDoc, claim
from spec.sources.seeds import S000


@claim(
    id="sentiment.semantics.packed-versus-padded",
    statement=(
        "In the IMDB classifier, a packed batch gives every review the logit it gets alone, while a padded "
        "batch runs the LSTM over the padding, so a shorter review's logit changes with its batch."
    ),
    modules=("LSTM", "PackedSequence", "training"),
    sources=(
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Args", "lengths"),
        Seed(S000, "IMDB example: BucketIterator batches of padded reviews into the LSTM", line=30),
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
