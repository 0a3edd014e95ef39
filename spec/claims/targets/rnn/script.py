"""What TorchScript (torch.jit.script) does with nn.RNN, nn.LSTM and nn.GRU: the ``rnn.targets.script-*`` claims."""

from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from spec.helpers import targets
from spec.helpers.strategies import LAYERS
from spec.helpers.target_probe import (
    SEQ,
    built,
    initial_state,
    probe,
    quiet,
    rnn_scriptable,
)
from spec.helpers.tolerances import assert_close
from spec.registry import TOOLCHAIN, TorchDoc, claim, in_range, not_applicable


# --- TorchScript ------------------------------------------------------------------------------------------------
# LSTM and GRU script to a module whose forward is two overloads (forward__0, forward__1) and no forward:
# pytorch/pytorch#32976, open since 1.4. nn.RNN scripts from 1.11 (pytorch/pytorch#61274, fixing #28418,
# moved its forward out of RNNBase with overloads); before, scripting it fails.
@claim(
    id="rnn.targets.script-bare-no-forward",
    scope=TOOLCHAIN,
    statement=(
        "torch.jit.script(layer) succeeds but gives a module with no forward: calling it raises AttributeError "
        "(nn.RNN from 1.11, when it became scriptable)."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.jit.script", "scripting an nn.Module and its submodules"),),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_script_bare(mode, device):
    targets.ci_sample(mode == "LSTM")
    if not rnn_scriptable(mode):
        not_applicable("nn.RNN scripts from torch 1.11 (rnn.targets.script-rnn-refused)")
    m, x = built(probe(mode), device)
    with quiet():
        scripted = torch.jit.script(m)
    with pytest.raises(AttributeError, match="forward"):
        scripted(x)


@claim(
    id="rnn.targets.script-hosted-matches",
    scope=TOOLCHAIN,
    statement=(
        "A scripted module that holds the layer and calls it (on a tensor, with an initial state, or on a "
        "PackedSequence) returns what the layer returns eagerly."
    ),
    modules=LAYERS + ("PackedSequence",),
    sources=(TorchDoc("torch.jit.script", "scripting an nn.Module and its submodules"),),
)
@pytest.mark.parametrize("call", ("x-h0", "packed"))
@pytest.mark.parametrize("mode", LAYERS)
def test_script_hosted(mode, call, device):
    targets.ci_sample(mode == "LSTM" and call == "x-h0")
    if not rnn_scriptable(mode):
        not_applicable("nn.RNN scripts from torch 1.11 (rnn.targets.script-rnn-refused)")
    if call == "packed" and in_range(">=1.11,<1.13", torch.__version__):
        not_applicable("no index tensors: refused on 1.11-1.12 (rnn.targets.script-packed-unsorted-refused)")
    cfg = probe(mode)
    m, x = built(cfg, device)
    if call == "packed":
        args = (pack_padded_sequence(x, torch.tensor([SEQ, 2, 1]), batch_first=True),)
    else:
        args = (x, initial_state(cfg, device))
    with quiet():
        scripted = torch.jit.script(targets.script_host(m, args))
    assert_close(targets.call_scripted(scripted, args), m(*args), f"scripted host ({call}) against eager")


@claim(
    id="rnn.targets.script-rnn-refused",
    scope=TOOLCHAIN,
    statement="Before torch 1.11 nn.RNN cannot be scripted at all: torch.jit.script of a module holding one fails.",
    modules=("RNN",),
    sources=(TorchDoc("torch.jit.script", "scripting an nn.Module and its submodules"),),
    torch="<1.11",
)
def test_script_rnn_refused(device):
    m, x = built(probe("RNN"), device)
    # measured on the matrix: 1.8.1, 1.9.1 and 1.10.2 stop at nn.RNN's own code with UnsupportedNodeError
    # ("annotated assignments without assigned value aren't supported", a FrontendError, not a RuntimeError)
    with quiet(), pytest.raises(torch.jit.frontend.UnsupportedNodeError):
        torch.jit.script(targets.script_host(m, (x,)))


# Measured on 1.11.0 (and the stored matrix: 1.11.0 and 1.12.1 fail rnn.targets.script-hosted-matches and
# packed.semantics.state-in-original-order under script; 1.10.2 and 1.13.1 hold): TorchScript compiles
# permute_hidden(hx, sorted_indices) as an index_select with no test for None, which eager skips.
@claim(
    id="rnn.targets.script-packed-unsorted-refused",
    scope=TOOLCHAIN,
    statement=(
        "On torch 1.11 and 1.12 a scripted module holding the layer fails in the TorchScript interpreter on a "
        "PackedSequence that has no index tensors (pack_padded_sequence with enforce_sorted=True): "
        "permute_hidden hands None to index_select; given the index tensors (enforce_sorted=False) it matches eager."
    ),
    modules=LAYERS + ("PackedSequence",),
    sources=(
        TorchDoc("torch.jit.script", "scripting an nn.Module"),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Args", "enforce_sorted"),
    ),
    torch=">=1.11,<1.13",
)
@pytest.mark.parametrize("mode", LAYERS)
def test_script_packed_unsorted_refused(mode, device):
    targets.ci_sample(mode == "LSTM")
    cfg = probe(mode)
    m, x = built(cfg, device)
    lengths = torch.tensor([SEQ, 2, 1])
    plain = (pack_padded_sequence(x, lengths, batch_first=True),)  # sorted: no index tensors
    assert plain[0].sorted_indices is None, f"sorted lengths packed with sorted_indices {plain[0].sorted_indices}"
    with quiet():
        scripted = torch.jit.script(targets.script_host(m, plain))
    with pytest.raises(RuntimeError, match="permute_hidden"):  # the interpreter's traceback names the function
        scripted(*plain)
    indexed = (pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False),)
    assert indexed[0].sorted_indices is not None, "enforce_sorted=False packed with no sorted_indices"
    with quiet():
        scripted = torch.jit.script(targets.script_host(m, indexed))
    assert_close(targets.call_scripted(scripted, indexed), m(*indexed), "scripted, with index tensors")
