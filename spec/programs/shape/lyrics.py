"""Shape of the Jay Chou lyrics program (S004)."""

from __future__ import annotations

import torch

from reference.programs.models import LanguageModel, make_layer
from spec.registry import Seed, claim
from spec.sources.seeds import S004


@claim(
    id="lyrics.shape.model-sizes",
    statement=(
        "004's model, nn.LSTM(1027, 256) under a Linear(256, 1027) head, has 1,579,779 parameters (4 * 256 * "
        "(1027 + 256) weights and 2 * 4 * 256 biases in the LSTM, 256 * 1027 + 1027 in the head) and maps a "
        "[32, 35] minibatch to [35 * 32, 1027] logits and a state of two [1, 32, 256] tensors."
    ),
    modules=("LSTM", "training"),
    sources=(
        Seed(S004, "data preparation: num_input and num_output 1027, num_hidden 256", line=28),
        Seed(S004, "the model: input 1027, 256 hidden units, output 1027, one LSTM and one linear layer", line=71),
    ),
)
def test_lyrics_model_sizes(device):
    torch.manual_seed(0)
    model = LanguageModel(make_layer("lstm", 1027, 256), 1027).to(device)  # as reference.programs.lyrics builds it
    held = sum(p.numel() for p in model.parameters())
    assert held == 1_579_779, f"{held} parameters, not 1,315,840 + 263,939 (by hand)"
    with torch.no_grad():
        logits, (h, c) = model(torch.randint(0, 1027, (32, 35), device=device))
    assert logits.shape == (35 * 32, 1027) and h.shape == c.shape == (1, 32, 256), (
        f"logits {tuple(logits.shape)}, h {tuple(h.shape)}, c {tuple(c.shape)}: not (1120, 1027), (1, 32, 256) twice"
    )
