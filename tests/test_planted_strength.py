"""Planted mistakes for the checks issue 32 sharpened or added: each fails, on an assertion, against a torch (or a
program) patched to behave in one plausible wrong way, where the check before let the mistake through."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from spec.helpers import targets
from tests.test_planted import fails


def test_export_packed_refused_for_another_reason_fails(monkeypatch):
    """A refusal of the wrong kind (a TypeError naming nothing) passed the four-types check; measured form fails it."""
    real = torch.export.export

    def export(module, args, *rest, **kwargs):
        if any(isinstance(a, torch.nn.utils.rnn.PackedSequence) for a in args):
            raise RuntimeError("some other failure")
        return real(module, args, *rest, **kwargs)

    monkeypatch.setattr(torch.export, "export", export)
    monkeypatch.setitem(targets._state, "selected", ("eager", "export"))  # the claim runs under a chosen target
    fails("rnn.targets.export-packed-refused", mode="LSTM", device="cpu")


def test_printed_logs_past_every_seed_fail(monkeypatch):
    """A last loss above the tanh floor (any run meets it) but below every trained seed's: the old bound passed it."""
    from spec.programs.training import hello

    floor = 5 * hello.BOUND
    monkeypatch.setitem(hello.PRINTED, "cell", (hello.PRINTED["cell"][0], floor + 0.05, 9))
    fails("hello.training.printed-logs")


def test_a_vocabulary_one_row_short_fails(monkeypatch):
    from reference.programs import sentiment
    from reference.programs.text import Vocab

    monkeypatch.setattr(
        sentiment, "vocabulary", lambda words, n: Vocab(words, reserved_tokens=["<pad>"], max_size=n + 1)
    )
    fails("sentiment.data.embedding-rows", device="cpu")


@pytest.mark.parametrize("mistake", ["seed ignored", "no backward"])
def test_the_determinism_script_sees_its_other_side(mistake):
    from spec.claims.numerics.rnn import DETERMINISM

    script = {
        "seed ignored": DETERMINISM.replace("torch.manual_seed(seed)", "torch.manual_seed(0)"),
        "no backward": DETERMINISM.replace(".sum().backward()", ".sum()"),
    }[mistake]
    good = subprocess.run([sys.executable, "-c", DETERMINISM, "GRU", "cpu"], capture_output=True, text=True)
    assert good.stdout.strip() == "bitwise-equal seeds-apart", good.stdout + good.stderr
    bad = subprocess.run([sys.executable, "-c", script, "GRU", "cpu"], capture_output=True, text=True)
    assert bad.stdout.strip() != "bitwise-equal seeds-apart", f"{mistake}: {bad.stdout!r}"


def test_gru_under_cpu_autocast_returning_bfloat16_fails(monkeypatch):
    real = torch.nn.GRU.forward

    def forward(self, input, hx=None):
        out, h = real(self, input, hx)
        lowered = torch.is_autocast_enabled("cpu")
        return (out.bfloat16(), h.bfloat16()) if lowered else (out, h)

    monkeypatch.setattr(torch.nn.GRU, "forward", forward)
    fails("rnn.numerics.autocast-cpu-bfloat16", mode="GRU", device="cpu")


def test_a_flatten_that_copies_the_weights_fails(monkeypatch):
    real = torch.nn.RNNBase.flatten_parameters

    def flatten(self):
        real(self)
        self._flat_weights = [w.detach().clone() for w in self._flat_weights]

    monkeypatch.setattr(torch.nn.RNNBase, "flatten_parameters", flatten)
    fails("rnn.training.after-maintenance", mode="LSTM", call="flatten_parameters", device="cpu")


def test_state_dict_copies_fail(monkeypatch):
    real = torch.nn.Module.state_dict
    monkeypatch.setattr(
        torch.nn.RNNBase, "state_dict", lambda self, *a, **k: {n: t.clone() for n, t in real(self, *a, **k).items()}
    )
    fails("rnn.state.state-dict", device="cpu")


def test_packed_to_that_casts_indices_fails(monkeypatch):
    from torch.nn.utils.rnn import PackedSequence

    real = PackedSequence.to

    def to(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        if out.sorted_indices is None:
            return out
        return out._replace(sorted_indices=out.sorted_indices.to(out.data.dtype))

    monkeypatch.setattr(PackedSequence, "to", to)
    fails("packed.shape.conversions", device="cpu")


def test_second_order_through_a_cell_that_loses_it_fails(monkeypatch):
    from tests.test_planted import FirstOrderOnly

    real = torch.nn.GRUCell.forward
    monkeypatch.setattr(torch.nn.GRUCell, "forward", lambda self, *a, **k: FirstOrderOnly.apply(real(self, *a, **k)))
    fails("cells.autograd.double-backward", mode="GRU", nonlinearity="tanh", device="cpu")
