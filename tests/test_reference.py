"""The reference on its own: golden values derived by hand (with math, not torch), and its shape checks."""

import math

import pytest
import torch

from reference.common.shapecheck import SHAPE_CHECKS, Float, Tensor, Unkeyable, checked, signature
from reference.oracle import cells as ref
from reference.oracle.layers import stacked


def sig(v):
    return 1 / (1 + math.exp(-v))


def scalar_params(device, **values):
    """Width-1 cells: each weight a [G, 1] column, so every gate is a scalar expression."""
    return {
        k: torch.tensor(v, dtype=torch.float64, device=device).reshape(-1, 1)
        if k.startswith("weight")
        else torch.tensor(v, dtype=torch.float64, device=device)
        for k, v in values.items()
    }


def t(v, device):
    return torch.tensor([[v]], dtype=torch.float64, device=device)


def test_rnn_cell_two_steps_by_hand(device):
    p = scalar_params(device, weight_ih=[0.5], weight_hh=[-1.0], bias_ih=[0.1], bias_hh=[0.2])
    h1 = math.tanh(0.5 * 1.0 + 0.1 - 1.0 * 0.5 + 0.2)  # x1 = 1, h0 = 0.5
    h2 = math.tanh(0.5 * -2.0 + 0.1 - 1.0 * h1 + 0.2)  # x2 = -2
    got1 = ref.rnn_cell(t(1.0, device), t(0.5, device), p)
    got2 = ref.rnn_cell(t(-2.0, device), got1, p)
    assert got1.item() == pytest.approx(h1, abs=1e-15) and got2.item() == pytest.approx(h2, abs=1e-15)
    relu = ref.rnn_cell(t(-2.0, device), t(0.5, device), p, "relu")
    assert relu.item() == 0.0  # 0.5*-2 + 0.1 - 0.5 + 0.2 < 0


def test_lstm_cell_one_step_by_hand(device):
    # gate rows i, f, g, o
    p = scalar_params(
        device,
        weight_ih=[1.0, 2.0, 3.0, 4.0],
        weight_hh=[0.5, -0.5, 0.25, -0.25],
        bias_ih=[0.0, 1.0, 0.0, 0.0],
        bias_hh=[0.1, 0.0, -0.1, 0.0],
    )
    x, h, c = 0.3, -0.2, 0.7
    i = sig(1.0 * x + 0.5 * h + 0.1)
    f = sig(2.0 * x - 0.5 * h + 1.0)
    g = math.tanh(3.0 * x + 0.25 * h - 0.1)
    o = sig(4.0 * x - 0.25 * h)
    c1 = f * c + i * g
    h1 = o * math.tanh(c1)
    got_h, got_c = ref.lstm_cell(t(x, device), t(h, device), t(c, device), p)
    assert got_c.item() == pytest.approx(c1, abs=1e-15) and got_h.item() == pytest.approx(h1, abs=1e-15)


def test_lstm_projection_by_hand(device):
    p = scalar_params(device, weight_ih=[1.0, 1.0, 1.0, 1.0], weight_hh=[0.0, 0.0, 0.0, 0.0])
    p["weight_hr"] = torch.tensor([[3.0]], dtype=torch.float64, device=device)
    x = 0.5
    c1 = sig(x) * math.tanh(x)  # c0 = 0
    got_h, got_c = ref.lstm_cell(t(x, device), t(0.0, device), t(0.0, device), p)
    assert got_c.item() == pytest.approx(c1, abs=1e-15)
    assert got_h.item() == pytest.approx(3.0 * sig(x) * math.tanh(c1), abs=1e-15)


def test_gru_cell_two_steps_by_hand(device):
    # gate rows r, z, n; b_hn (0.3) must sit inside r * (W_hn h + b_hn)
    p = scalar_params(
        device, weight_ih=[1.0, -1.0, 2.0], weight_hh=[0.5, 0.5, -1.0], bias_ih=[0.0, 0.0, 0.1], bias_hh=[0.0, 0.2, 0.3]
    )

    def gru(x, h):
        r = sig(1.0 * x + 0.5 * h)
        z = sig(-1.0 * x + 0.5 * h + 0.2)
        n = math.tanh(2.0 * x + 0.1 + r * (-1.0 * h + 0.3))
        return (1 - z) * n + z * h

    h1 = gru(0.4, -0.6)
    h2 = gru(-1.0, h1)
    got1 = ref.gru_cell(t(0.4, device), t(-0.6, device), p)
    got2 = ref.gru_cell(t(-1.0, device), got1, p)
    assert got1.item() == pytest.approx(h1, abs=1e-15) and got2.item() == pytest.approx(h2, abs=1e-15)


def test_bidirectional_two_steps_by_hand(device):
    """One RNN layer, both directions, width 1: the backward pass starts at the last step."""
    fw = dict(weight_ih_l0=[[1.0]], weight_hh_l0=[[0.5]])
    bw = dict(weight_ih_l0_reverse=[[-1.0]], weight_hh_l0_reverse=[[2.0]])
    params = {k: torch.tensor(v, dtype=torch.float64, device=device) for k, v in {**fw, **bw}.items()}
    xs = [0.2, -0.7]
    f1 = math.tanh(xs[0])
    f2 = math.tanh(xs[1] + 0.5 * f1)
    b2 = math.tanh(-xs[1])
    b1 = math.tanh(-xs[0] + 2.0 * b2)
    x = torch.tensor(xs, dtype=torch.float64, device=device).reshape(2, 1, 1)
    h0 = torch.zeros(2, 1, 1, dtype=torch.float64, device=device)
    out, h_n, c_n = stacked("RNN", params, x, h0, None, 1, 2)
    want = torch.tensor([[[f1, b1]], [[f2, b2]]], dtype=torch.float64, device=device)
    torch.testing.assert_close(out, want, rtol=0, atol=1e-15)
    torch.testing.assert_close(
        h_n.flatten(), torch.tensor([f2, b1], dtype=torch.float64, device=device), rtol=0, atol=1e-15
    )
    assert c_n is None


def test_packed_lengths_freeze_the_state(device):
    params = {"weight_ih_l0": torch.ones(1, 1), "weight_hh_l0": torch.ones(1, 1)}
    params = {k: v.double().to(device) for k, v in params.items()}
    x = torch.ones(3, 2, 1, dtype=torch.float64, device=device)
    h0 = torch.zeros(1, 2, 1, dtype=torch.float64, device=device)
    out, h_n, _ = stacked("RNN", params, x, h0, None, 1, 1, lengths=torch.tensor([1, 3]))
    a = math.tanh(1.0)
    assert out[:, 0, 0].tolist() == [pytest.approx(a), 0.0, 0.0]  # sequence 0 ends after one step
    assert h_n[0, 0, 0].item() == pytest.approx(a)
    assert h_n[0, 1, 0].item() == pytest.approx(math.tanh(1.0 + math.tanh(1.0 + a)))


@pytest.mark.skipif(not SHAPE_CHECKS, reason="jaxtyping/beartype not installed (Python < 3.11)")
def test_shape_checks_reject_a_mismatched_state():
    params = {"weight_ih_l0": torch.ones(4, 3), "weight_hh_l0": torch.ones(4, 4)}
    x = torch.zeros(5, 2, 3)
    with pytest.raises(Exception, match="(?i)type-check"):
        stacked("RNN", params, x, torch.zeros(2, 2, 4), None, 1, 1)  # h0 has 2 rows for 1 layer x 1 dir


needs_checks = pytest.mark.skipif(not SHAPE_CHECKS, reason="jaxtyping/beartype not installed (Python < 3.11)")


@needs_checks
def test_a_rejected_call_is_rejected_again_after_a_good_one():
    params = {"weight_ih_l0": torch.ones(4, 3), "weight_hh_l0": torch.ones(4, 4)}
    x = torch.zeros(5, 2, 3)
    stacked("RNN", params, x, torch.zeros(1, 2, 4), None, 1, 1)  # its signature is now known good
    with pytest.raises(Exception, match="(?i)type-check"):
        stacked("RNN", params, x, torch.zeros(2, 2, 4), None, 1, 1)


def test_signature_keys_what_shapes_depend_on():
    a = torch.zeros(2, 3)
    assert signature(a) == signature(torch.ones(2, 3))  # values do not matter
    for other in (torch.zeros(3, 2), torch.zeros(2, 3, dtype=torch.float64), torch.zeros(2, 3, device="meta")):
        assert signature(a) != signature(other)
    assert signature({"w": a, "b": None}) == signature({"b": None, "w": torch.ones(2, 3)})
    assert signature({"w": a}) != signature({"w": torch.zeros(2, 4)})
    assert signature((a, 1, "tanh")) != signature((a, 2, "tanh"))
    with pytest.raises(Unkeyable):
        signature(torch.Generator())


class _Head(torch.nn.Module):
    """Declares [batch, width] out; returns [batch, self.actual] (a bug when actual != width)."""

    def __init__(self, width: int, actual: int):
        super().__init__()
        self.width, self.actual = width, actual

    @checked
    def forward(self, x: Float[Tensor, "batch 2"]) -> Float[Tensor, "batch {self.width}"]:
        return x.new_zeros(x.shape[0], self.actual)


@needs_checks
def test_each_instance_is_checked_afresh():
    x = torch.zeros(4, 2)
    for _ in range(3):  # fresh instances, often at a dead one's address: each bad one is still caught
        assert _Head(3, 3)(x).shape == (4, 3)
        with pytest.raises(Exception, match="(?i)type-check"):
            _Head(3, 5)(x)


@needs_checks
def test_repeats_of_a_signature_skip_the_check_and_all_mode_does_not():
    head = _Head(3, 3)
    head(torch.zeros(4, 2))
    head.actual = 5  # outside the contract (shapes must follow from the signature): shows what is skipped
    assert head(torch.zeros(4, 2)).shape == (4, 5)
    with pytest.raises(Exception, match="(?i)type-check"):
        type(head).forward.strict(head, torch.zeros(4, 2))
    with pytest.raises(Exception, match="(?i)type-check"):
        head(torch.zeros(7, 2))  # a new signature is checked
