"""Parameters of nn.RNN, nn.LSTM and nn.GRU replaced by assignment, and copies: the
``rnn.parameters.replaced-*`` claims."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch

from reference.oracle.layers import forward as reference_forward
from spec.claims.parameters.rnn import REVERSE_ATTRIBUTES
from spec.helpers.modules import torch_view
from spec.helpers.strategies import (
    LAYERS,
    Config,
)
from spec.helpers.tolerances import assert_close
from spec.registry import CONTRACT, TorchDoc, claim, torch_docs
from spec.sources.seeds import LAYER_DOCS


@claim(
    id="rnn.parameters.replaced-and-copied",
    scope=CONTRACT,
    statement=(
        "A parameter replaced by assignment (m.weight_hh_l0 = nn.Parameter(...)) is the one the next forward uses, "
        "and a deep copy or a pickle round trip computes what the original does with parameters of its own."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Attributes", "weight_ih_l[k]", "weight_hh_l[k]", "bias_ih_l[k]", "bias_hh_l[k]"),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_hr_l[k]"),
        *REVERSE_ATTRIBUTES,
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_replaced_and_copied(mode, device):
    cfg = Config(mode=mode, num_layers=2, bidirectional=True)
    m, x = cfg.build(device), cfg.input(device)
    # by the implementation's own names (torch's: weight_ih_l0 and bias_hh_l1_reverse): its first parameter and
    # its last, of the first layer and of the second layer's reverse direction
    names = [name for name, _ in m.named_parameters()]
    first, last = names[0], names[-1]
    with torch.no_grad():
        before = m(x)
        own = dict(m.named_parameters())
        replace_parameter(m, last, torch.nn.Parameter(torch.zeros_like(own[last])))
        replace_parameter(m, first, torch.nn.Parameter(own[first] + 1))
        after = m(x)
        assert_close(after, reference_forward(torch_view(m), x), f"{mode}: the replaced {first}, {last} are used")
        assert not torch.equal(after[0], before[0]), f"{mode}: {first} + 1 left the output as it was"
        for twin in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
            assert_close(twin(x), after, f"{mode}: a copy computes the same")
            dict(twin.named_parameters())[first].add_(1)
            assert_close(m(x), after, f"{mode}: changing the copy's {first} leaves the original")


def replace_parameter(module, name: str, value) -> None:
    """``module.<name> = value`` as a user replaces a parameter, ``name`` dotted for a submodule's."""
    owner, _, leaf = name.rpartition(".")
    setattr(module.get_submodule(owner) if owner else module, leaf, value)
