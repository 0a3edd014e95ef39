"""Meta-tests of the spec's own helpers: each is shown to fail where it must, and to pass where it must."""

import pytest
import torch

from spec.claims.repr.rnn import expected_repr
from spec.helpers import onnx_oracle
from spec.helpers.outcomes import Outcome, outcome_for
from spec.helpers.strategies import Config, param_layout
from spec.helpers.tolerances import TOLERANCES, assert_close
from spec.tools.mutants.catalogue import permute_gates


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("scale", [0.0, 1.0, 1000.0])
def test_assert_close_fails_just_past_its_tolerance_and_passes_just_inside(dtype, scale):
    tol = TOLERANCES[("cpu", dtype)]
    expected = torch.full((3,), scale, dtype=dtype)
    bound = tol["atol"] + tol["rtol"] * scale  # |actual - expected| <= atol + rtol * |expected|
    inside, past = expected.clone(), expected.clone()
    inside[1] += 0.9 * bound
    past[1] += 1.1 * bound
    assert_close(inside, expected, "inside")
    with pytest.raises(AssertionError, match=r"1 of 3 elements differ beyond"):
        assert_close(past, expected, "past")


@pytest.mark.parametrize(
    "actual",
    [torch.zeros(2, 3), torch.zeros(3, 2, dtype=torch.float64), (torch.zeros(3, 2), torch.zeros(3, 2))],
    ids=["shape", "dtype", "count"],
)
def test_assert_close_fails_on_shape_dtype_or_count(actual):
    with pytest.raises(AssertionError):
        assert_close(actual, torch.zeros(3, 2))


def test_repro_round_trips():
    cfg = Config(mode="LSTM", input_size=2, hidden_size=5, num_layers=2, bidirectional=True, proj_size=3, seed=7)
    scope: dict = {}
    exec(cfg.repro(), scope)
    assert scope["cfg"] == cfg
    m = cfg.build()
    assert torch.equal(scope["x"], cfg.input())
    for (name, a), (_, b) in zip(scope["m"].named_parameters(), m.named_parameters()):
        assert torch.equal(a, b), name
    assert_close(scope["out"], m(cfg.input())[0])


def test_param_layout_against_a_hand_written_list():
    cfg = Config(mode="LSTM", input_size=3, hidden_size=4, num_layers=2, bidirectional=True, proj_size=2)
    want = []
    for k, width in ((0, 3), (1, 4)):  # layer 1 reads both directions' projected outputs: 2 * 2
        for s in ("", "_reverse"):
            want += [(f"weight_ih_l{k}{s}", (16, width)), (f"weight_hh_l{k}{s}", (16, 2))]
            want += [(f"bias_ih_l{k}{s}", (16,)), (f"bias_hh_l{k}{s}", (16,)), (f"weight_hr_l{k}{s}", (2, 4))]
    assert param_layout(cfg) == want
    assert param_layout(Config(mode="GRU", bias=False)) == [("weight_ih_l0", (12, 3)), ("weight_hh_l0", (12, 4))]


@pytest.mark.parametrize(
    ("cfg", "text"),
    [
        (Config(mode="RNN", input_size=100, hidden_size=20, num_layers=4), "RNN(100, 20, num_layers=4)"),
        (Config(mode="GRU"), "GRU(3, 4)"),
        (
            Config(mode="LSTM", proj_size=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True),
            "LSTM(3, 4, proj_size=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True)",
        ),
    ],
)
def test_expected_repr(cfg, text):
    assert expected_repr(cfg) == text


def test_outcome_for_takes_the_first_range_that_holds_and_none_outside_all():
    new, old = Outcome(">=2.1", ValueError), Outcome("<2.1", TypeError)
    assert outcome_for((new, old), "2.13.0+cpu") is new
    assert outcome_for((new, old), "2.0.1") is old
    assert outcome_for((Outcome(">=2.2", ValueError),), "2.1.2") is None
    assert outcome_for((Outcome(raises=ValueError), new), "1.8.1").raises is ValueError


def test_permute_gates_moves_whole_blocks_and_leaves_other_shapes_alone():
    stacked = torch.arange(8.0).view(8, 1)  # four blocks of two rows: 0 1 | 2 3 | 4 5 | 6 7
    odd = torch.arange(3.0)
    moved, untouched = permute_gates([stacked, odd], 4, (0, 2, 1, 3))
    assert moved.flatten().tolist() == [0, 1, 4, 5, 2, 3, 6, 7]
    assert torch.equal(untouched, odd)


def swapped(module, mode):
    """A copy of ``module`` with its first two gate blocks exchanged in every weight and bias."""
    gates = {"LSTM": 4, "GRU": 3}[mode]
    order = (1, 0) + tuple(range(2, gates))
    copy = type(module)(module.input_size, module.hidden_size, bidirectional=module.bidirectional)
    with torch.no_grad():
        for (_, p), q in zip(copy.named_parameters(), permute_gates(list(module.parameters()), gates, order)):
            p.copy_(q)
    return copy


@pytest.mark.skipif(onnx_oracle.MISSING is not None, reason=str(onnx_oracle.MISSING))
@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_the_onnx_oracle_fails_when_two_gate_blocks_are_swapped(mode):
    cfg = Config(mode=mode, bidirectional=True, dtype="float32", seq=4)
    m, x = cfg.build(), cfg.input()
    with torch.no_grad():
        want = m(x)
        assert_close(onnx_oracle.onnx_run(m, x), want, "the oracle agrees with torch")
        with pytest.raises(AssertionError, match="differ beyond"):
            assert_close(onnx_oracle.onnx_run(swapped(m, mode), x), want, "gate blocks swapped")


def test_the_minibatch_check_rejects_overlapping_windows():
    from spec.programs.data.sampling import check_epoch

    def epoch(starts, steps=3):
        return [
            (
                torch.tensor([list(range(s, s + steps)) for s in row]),
                torch.tensor([list(range(s + 1, s + 1 + steps)) for s in row]),
            )
            for row in starts
        ]

    check_epoch(epoch([[0, 3], [6, 9]]), 2, 3, adjacent=False)
    with pytest.raises(AssertionError, match="share a token position"):
        check_epoch(epoch([[0, 2], [6, 9]]), 2, 3, adjacent=False)  # distinct starts, overlapping windows
    with pytest.raises(AssertionError, match="not adjacent"):
        check_epoch(epoch([[0, 3], [9, 12]]), 2, 3, adjacent=True)
