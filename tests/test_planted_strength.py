"""Planted mistakes for the checks issue 32 sharpened or added: each fails, on an assertion, against a torch (or a
program) patched to behave in one plausible wrong way, where the check before let the mistake through."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from spec.helpers import targets
from tests.test_planted import check, fails


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


# --- the refusals narrowed to their measured form (issue 32): a refusal of another kind, and none at all ----------
def test_raises_as_measured_holds_a_measured_release_to_its_type_and_message():
    from spec.helpers.target_probe import raises_as_measured

    measured = ((">=0", AttributeError, r"'tuple' object has no attribute 'dim'"),)  # every release: the measured row
    with raises_as_measured(measured, (RuntimeError,)):
        raise AttributeError("'tuple' object has no attribute 'dim'")
    with pytest.raises(AssertionError, match="Regex pattern did not match"):
        with raises_as_measured(measured, (RuntimeError,)):
            raise AttributeError("'NoneType' object has no attribute 'dim'")  # the right type, another message
    with pytest.raises(RuntimeError):  # another type is not caught: the check errs with it
        with raises_as_measured(measured, (RuntimeError,)):
            raise RuntimeError("'tuple' object has no attribute 'dim'")
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        with raises_as_measured(measured, (RuntimeError,)):
            pass


def test_raises_as_measured_takes_the_looser_form_only_where_unmeasured():
    from spec.helpers.target_probe import raises_as_measured

    measured = (("<0.1", AttributeError, r"never"),)  # no release is in this range: unmeasured everywhere
    for kind in (RuntimeError, TypeError):
        with raises_as_measured(measured, (RuntimeError, TypeError)):
            raise kind("any message")
    with pytest.raises(AttributeError):
        with raises_as_measured(measured, (RuntimeError, TypeError)):
            raise AttributeError("a type outside the looser form")
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        with raises_as_measured(measured, (RuntimeError, TypeError)):
            pass


@pytest.mark.parametrize("mistake", ["another message", "exported"])
def test_onnx_export_of_a_packed_sequence_refused_otherwise_fails(monkeypatch, mistake):
    from spec.helpers.target_probe import before

    if before("2.13") or targets.unavailable("onnx") or targets.onnx_exporters().get("torchscript"):
        pytest.skip("the measured form is 2.13's, through the TorchScript ONNX exporter")
    real = targets.onnx_export

    def export(module, args, *rest, **kwargs):
        if any(isinstance(a, torch.nn.utils.rnn.PackedSequence) for a in args):
            if mistake == "exported":
                return None  # the exporter took it
            raise AttributeError("'PackedSequence' object has no attribute 'shape'")
        return real(module, args, *rest, **kwargs)

    monkeypatch.setattr(targets, "onnx_export", export)
    fails("rnn.targets.onnx-packed-refused", mode="LSTM")
    monkeypatch.setattr(targets, "onnx_export", real)
    check("rnn.targets.onnx-packed-refused")(mode="LSTM")  # and holds with torch's own exporter


@pytest.mark.parametrize("mistake", ["no guard", "another guard"])
def test_an_export_that_takes_another_batch_fails(monkeypatch, mistake):
    from spec.helpers.target_probe import before

    if before("2.11") or targets.unavailable("export"):
        pytest.skip("the measured form is 2.11's and later")
    real = torch.export.export

    class Exported:
        def __init__(self, module, args):
            self.inner, self.batch = module, args[0].shape[0]

        def module(self):
            def call(x):
                if mistake == "another guard" and x.shape[0] != self.batch:
                    raise AssertionError("Guard failed: input.dtype == torch.float32")  # a guard, not the batch's
                return self.inner(x)

            return call

    monkeypatch.setattr(torch.export, "export", lambda module, args, *a, **k: Exported(module, args))
    fails("rnn.targets.export-static-batch", mode="LSTM", device="cpu")
    monkeypatch.setattr(torch.export, "export", real)
    check("rnn.targets.export-static-batch")(mode="LSTM", device="cpu")  # and holds with torch's own export


def test_a_compiled_lstm_refused_for_another_reason_fails(monkeypatch):
    from spec.claims.targets import lstm
    from spec.helpers.target_probe import before

    if before("2.13") or targets.unavailable("compile") or not torch.backends.mkldnn.is_available():
        pytest.skip("the measured form is 2.13's, with oneDNN")

    def compiled(dtype, device):
        raise AssertionError("expected all inputs to be on one device")  # AOTAutograd refusing, for another reason

    monkeypatch.setattr(lstm, "aot_compiled_with_grad", compiled)
    monkeypatch.setitem(targets._state, "profile", "thorough")  # the expensive claim runs
    fails("lstm.targets.compile-allow-rnn-onednn-grad-refused", device="cpu")
