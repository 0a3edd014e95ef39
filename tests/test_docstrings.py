"""The docstring walk: complete on the installed torch, and loud about what a release adds."""

import textwrap

import pytest
import torch.nn.utils.rnn

import spec
from spec.registry import Registry, TorchDoc, release_of
from spec.sources import docstrings as ds
from spec.tools import cli


def test_every_installed_statement_is_mapped_and_every_entry_is_valid():
    assert ds.missing_objects() == [] or release_of(torch.__version__) < release_of("1.11")
    assert ds.unmapped() == []
    assert ds.walk_problems(c.id for c in spec.load_all()) == []


def test_every_object_has_arguments_and_a_description():
    for path in ds.OBJECTS:
        found = {s.section for s in ds.statements(path)}
        assert {"signature", "Description", "Args"} <= found or {"signature", "Attributes"} <= found, path


def test_an_unknown_claim_id_and_a_bare_entry_are_problems(monkeypatch):
    real = ds.walk()
    bad = (ds.Entry("Args", "x", claims=("no.such.claim",)), ds.Entry("Bogus", "y"), ds.Entry("Args", " ", reason="r"))
    monkeypatch.setattr(ds, "walk", lambda: {**real, "torch.nn.GRUCell": real["torch.nn.GRUCell"] + bad})
    problems = ds.walk_problems(c.id for c in spec.load_all())
    assert "torch.nn.GRUCell: Args 'x': unknown claim 'no.such.claim'" in problems
    assert "torch.nn.GRUCell: Bogus 'y': unknown section" in problems
    assert "torch.nn.GRUCell: Bogus 'y': neither claims nor a reason" in problems
    assert "torch.nn.GRUCell: Args: no name (an argument's, or a phrase of the paragraph)" in problems


def test_the_claimed_entries_are_read_from_the_claims_citations(monkeypatch, make_claim):
    """A claim's TorchDoc(obj, section, name) is the walk's entry for that statement; citing a statement the
    walk leaves unclaimed is a problem (it cannot be both)."""
    r = Registry()
    make_claim(
        r,
        sources=(TorchDoc("torch.nn.GRUCell", "Description", "ROCm"), TorchDoc("torch.nn.GRUCell", "Args", "bias")),
    )
    found = ds.claimed(r)
    claims = ("rnn.shape.example",)
    assert found == {
        "torch.nn.GRUCell": (ds.Entry("Description", "ROCm", claims=claims), ds.Entry("Args", "bias", claims=claims))
    }
    monkeypatch.setattr(ds, "walk", lambda: {o: ds.UNCLAIMED.get(o, ()) + found.get(o, ()) for o in ds.OBJECTS})
    problems = ds.walk_problems(claims)
    assert problems == ["torch.nn.GRUCell: Description 'ROCm': both claimed (rnn.shape.example) and unclaimed"]


def future_pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right", pad_to=None):
    """Pad a list of variable length Tensors.

    A new paragraph no release has written yet.

    .. warning::
        Padding to a multiple may copy.

    Args:
        sequences (list[Tensor]): list of variable length sequences.
        batch_first (bool, optional): if ``True``, the output will be in ``B x T x *`` format.
        padding_value (float, optional): value for padded elements. Default: ``0``.
        padding_side (str, optional): the side to pad the sequences on.
        pad_to (int, optional): pad the length to a multiple of this.

    Returns:
        Tensor of size ``T x B x *`` if :attr:`batch_first` is ``False``.
    """


def test_a_release_that_adds_an_argument_a_paragraph_and_a_warning_is_reported_by_name(monkeypatch):
    monkeypatch.setattr(torch.nn.utils.rnn, "pad_sequence", future_pad_sequence)
    assert ds.unmapped(["torch.nn.utils.rnn.pad_sequence"]) == [
        "torch.nn.utils.rnn.pad_sequence: signature parameter 'pad_to'",
        'torch.nn.utils.rnn.pad_sequence: description "A new paragraph no release has written yet."',
        'torch.nn.utils.rnn.pad_sequence: warning "Padding to a multiple may copy."',
        "torch.nn.utils.rnn.pad_sequence: Args 'pad_to'",
    ]
    row = ds.coverage(["torch.nn.utils.rnn.pad_sequence"])["torch.nn.utils.rnn.pad_sequence"]
    assert row["unmapped"] == 4 and row["claimed"] + row["unclaimed"] + 4 == row["statements"]


def test_a_missing_object_has_no_statements(monkeypatch):
    monkeypatch.delattr(torch.nn.utils.rnn, "unpad_sequence")
    assert ds.statements("torch.nn.utils.rnn.unpad_sequence") == []
    assert ds.missing_objects() == ["torch.nn.utils.rnn.unpad_sequence"]
    assert not ds.coverage(["torch.nn.utils.rnn.unpad_sequence"])["torch.nn.utils.rnn.unpad_sequence"]["present"]


class Layer:
    __doc__ = textwrap.dedent(
        r"""__init__(input_size,hidden_size,bias=True)

        Apply a layer.

        .. math::
            h = x

        Args:
            input_size: The number of features
            hidden_size (int): The number of
                hidden features. Default: 1
            bias: bias or not

        Inputs: input, h_0
            * **input**: tensor of shape (L, N)
            * **h_0**: tensor of shape (N, H)

        Outputs: h'
            - **h'** of shape `(batch, hidden_size)`: the next state

        Variables:
            weight_ih_l[k] : weights
            weight_ih_l[k]_reverse: Analogous

        Note:
            A Google-style note.

        .. include:: ../cudnn_persistent_rnn.rst
        """
    )


def test_the_parser_reads_each_section(monkeypatch):
    monkeypatch.setattr(torch.nn, "RNN", Layer)
    got = [(s.section, s.name) for s in ds.statements("torch.nn.RNN")]
    assert got == [
        ("signature", "input_size"),
        ("signature", "hidden_size"),
        ("signature", "bias"),
        ("Description", "Description"),
        ("Args", "input_size"),
        ("Args", "hidden_size"),
        ("Args", "bias"),
        ("Inputs", "input"),
        ("Inputs", "h_0"),
        ("Outputs", "h'"),
        ("Attributes", "weight_ih_l[k]"),
        ("Attributes", "weight_ih_l[k]_reverse"),
        ("Note", "Note"),
        ("Include", "cudnn_persistent_rnn.rst"),
    ]
    description = ds.statements("torch.nn.RNN")[3].text
    assert "Apply a layer." in description and "h = x" in description  # the math belongs to its paragraph


def test_spec_claims_prints_the_coverage_and_fails_on_an_unmapped_statement(monkeypatch, capsys):
    assert cli.main(["claims"]) == 0
    out = capsys.readouterr().out
    assert "docstrings: statements claimed, left with a reason, unmapped" in out
    assert all(obj in out for obj in ds.OBJECTS)
    monkeypatch.setattr(torch.nn.utils.rnn, "pad_sequence", future_pad_sequence)
    assert cli.main(["claims"]) == 1
    captured = capsys.readouterr()
    assert "unmapped: torch.nn.utils.rnn.pad_sequence: Args 'pad_to'" in captured.out
    assert "spec: unmapped docstring statement torch.nn.utils.rnn.pad_sequence: Args 'pad_to'" in captured.err


@pytest.mark.parametrize("path", ds.OBJECTS)
def test_every_claim_an_entry_names_is_about_its_object(path):
    """A layer's or cell's statement maps to claims naming that module; the packing functions' to PackedSequence."""
    registry = {c.id: c for c in spec.load_all()}
    short = path.rsplit(".", 1)[1]
    named = ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "clip_grad_norm_")
    module = short if short in named else "PackedSequence"
    wrong = [(e.name, cid) for e in ds.walk()[path] for cid in e.claims if module not in registry[cid].modules]
    assert wrong == []
