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


NAN, INF = float("nan"), float("inf")
#: A value on one side and what the other holds; each pair must fail, on either side.
NOT_CLOSE = {
    "nan": (torch.tensor([0.5, NAN, 0.25]), torch.tensor([0.5, 0.5, 0.25])),
    "nan-both": (torch.tensor([0.5, NAN]), torch.tensor([0.5, NAN])),
    "inf": (torch.tensor([INF, 1.0]), torch.tensor([1.0, 1.0])),
    "inf-both": (torch.tensor([INF, 1.0]), torch.tensor([INF, 1.0])),
    "-inf-both": (torch.tensor([-INF]), torch.tensor([-INF])),
    "inf-against--inf": (torch.tensor([INF]), torch.tensor([-INF])),
    "empty-against-one": (torch.zeros(0), torch.zeros(1)),
    "broadcast-row": (torch.zeros(1, 3), torch.zeros(2, 3)),
    "broadcast-scalar": (torch.zeros(()), torch.zeros(3)),
}


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("swap", [False, True], ids=["actual", "expected"])
@pytest.mark.parametrize("case", NOT_CLOSE, ids=str)
def test_assert_close_fails_on_nonfinite_empty_and_broadcast_on_either_side(case, swap, dtype):
    x, y = (t.to(dtype) for t in NOT_CLOSE[case])
    if swap:
        x, y = y, x
    with pytest.raises(AssertionError, match=r"not finite|shape|differ"):
        assert_close(x, y, case)
    with pytest.raises(AssertionError, match=r"not finite|shape|differ"):
        assert_close((torch.zeros(2, dtype=dtype), x), (torch.zeros(2, dtype=dtype), y), case)  # inside a tuple


def test_assert_close_names_the_nonfinite_side_and_index():
    with pytest.raises(AssertionError, match=r"1 of 3 elements of the actual value are not finite.*index 1: nan"):
        assert_close(torch.tensor([0.0, NAN, 1.0]), torch.zeros(3), "one step")
    with pytest.raises(AssertionError, match=r"of the expected value are not finite.*index 2: -inf"):
        assert_close(torch.zeros(3), torch.tensor([0.0, 1.0, -INF]), "one step")


@pytest.mark.parametrize("swap", [False, True], ids=["actual", "expected"])
def test_assert_close_takes_minus_zero_for_zero_and_empty_for_empty(swap):
    x, y = torch.tensor([-0.0, 0.0, -0.0]), torch.zeros(3)
    assert_close(*((y, x) if swap else (x, y)), "-0.0 is 0.0")
    assert_close(torch.zeros(0, 3), torch.zeros(0, 3), "empty against empty of the same shape")
    with pytest.raises(AssertionError, match=r"shape \(0, 3\) against \(3, 0\)"):
        assert_close(torch.zeros(0, 3), torch.zeros(3, 0))


@pytest.mark.parametrize("other", [None, 0.0, [0.0, 0.0]], ids=["None", "float", "list-of-floats"])
@pytest.mark.parametrize("swap", [False, True], ids=["actual", "expected"])
def test_assert_close_says_expected_a_tensor_for_none_or_a_number_on_either_side(other, swap):
    t = torch.zeros(2)
    x, y = (t, other) if swap else (other, t)
    with pytest.raises(AssertionError, match=r"expected a tensor, got (None|float)|tensors against"):
        assert_close(x, y, "a state")
    with pytest.raises(AssertionError, match=r"expected a tensor, got (None|float)|tensors against"):
        assert_close((t, x), (t, y), "a state")  # an LSTM state whose c is missing on one side


def test_assert_close_refuses_to_compare_nothing():
    with pytest.raises(AssertionError, match="nothing to compare"):
        assert_close((), [], "no tensors")


def test_assert_close_compares_integer_tensors_exactly():
    assert_close(torch.tensor([1, 2]), torch.tensor([1, 2]), "same")
    with pytest.raises(AssertionError, match="1 of 2 torch.int64 elements differ"):
        assert_close(torch.tensor([1, 3]), torch.tensor([1, 2]), "off by one")


def test_assert_close_compares_packed_sequences_with_their_indices():
    from torch.nn.utils.rnn import pack_padded_sequence

    x = torch.arange(12.0).view(3, 2, 2)
    a = pack_padded_sequence(x, torch.tensor([3, 2]))
    b = pack_padded_sequence(x.flip(1), torch.tensor([2, 3]), enforce_sorted=False)  # same data, other order
    assert_close(a, pack_padded_sequence(x.clone(), torch.tensor([3, 2])), "the same packing")
    with pytest.raises(AssertionError, match="sorted_indices"):
        assert_close(b, a._replace(data=b.data), "indices differ, data equal")
    with pytest.raises(AssertionError, match="PackedSequence on both sides"):
        assert_close(a.data, a, "a tensor against a PackedSequence")
    nan = a._replace(data=a.data.clone().index_fill_(0, torch.tensor([1]), NAN))
    with pytest.raises(AssertionError, match="not finite"):
        assert_close(nan, a, "NaN in a packed step")


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
