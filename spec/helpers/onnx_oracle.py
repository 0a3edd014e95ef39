"""A third, independent implementation: ONNX's LSTM and GRU operators, run by onnxruntime.

The ONNX node is built by hand from the torch module's weights. ONNX stacks LSTM gates as
(i, o, f, c) where torch stacks (i, f, g, o), and GRU gates as (z, r, h) where torch stacks
(r, z, n); torch's GRU applies the reset gate after the recurrent matmul, which is ONNX's
``linear_before_reset=1``. Agreement of torch, onnxruntime and our reference on these layouts is
evidence that none of the three has the gate order or bias placement wrong.

Needs the ``onnx`` extra (onnx >= 1.23, onnxruntime); without it :data:`MISSING` says why, and the claims
that use it skip with that reason.
"""

from __future__ import annotations

import torch


def _missing():
    """Why the oracle cannot run here (None: it can). Found without importing onnx, which costs about a second
    that every pytest process would pay while collecting the claims (this module is imported at collection); a
    broken install that is found but fails to import fails the check that uses it, loudly."""
    from importlib.util import find_spec

    for name in ("onnx", "onnxruntime"):
        if find_spec(name) is None:
            return f"onnx oracle unavailable ({name} not installed: pip install -e '.[onnx]')"
    return None


MISSING = _missing()

#: For each torch gate block, where it goes in ONNX's stacking.
ORDER = {"LSTM": (0, 3, 1, 2), "GRU": (1, 0, 2)}  # torch (i,f,g,o) -> onnx (i,o,f,c); (r,z,n) -> (z,r,h)


def reorder(weight: torch.Tensor, mode: str) -> torch.Tensor:
    blocks = weight.chunk(len(ORDER[mode]), dim=0)
    return torch.cat([blocks[i] for i in ORDER[mode]], dim=0)


def onnx_run(module, x: torch.Tensor):
    """Run one recurrent layer as an ONNX node; returns (output [seq, batch, D*H], h_n[, c_n])."""
    import onnx
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    mode = "LSTM" if isinstance(module, torch.nn.LSTM) else "GRU"
    dirs = 2 if module.bidirectional else 1
    hidden, batch = module.hidden_size, x.shape[1]
    suffixes = ("_l0", "_l0_reverse")[:dirs]
    p = {n: t.detach().cpu().float() for n, t in module.named_parameters()}

    def stacked(name):
        return torch.stack([reorder(p[name + s], mode) for s in suffixes]).numpy()

    w, r = stacked("weight_ih"), stacked("weight_hh")
    b = torch.cat([torch.from_numpy(stacked("bias_ih")), torch.from_numpy(stacked("bias_hh"))], dim=1).numpy()
    inits = [numpy_helper.from_array(a, n) for a, n in ((w, "W"), (r, "R"), (b, "B"))]
    extra = {"linear_before_reset": 1} if mode == "GRU" else {}
    outputs = ["Y", "Y_h"] + (["Y_c"] if mode == "LSTM" else [])
    node = helper.make_node(
        mode,
        inputs=["X", "W", "R", "B"],
        outputs=outputs,
        hidden_size=hidden,
        direction="bidirectional" if dirs == 2 else "forward",
        **extra,
    )
    x_info = helper.make_tensor_value_info("X", TensorProto.FLOAT, list(x.shape))
    shapes = {"Y": [x.shape[0], dirs, batch, hidden], "Y_h": [dirs, batch, hidden], "Y_c": [dirs, batch, hidden]}
    out_info = [helper.make_tensor_value_info(n, TensorProto.FLOAT, shapes[n]) for n in outputs]
    graph = helper.make_graph([node], "rnn", [x_info], out_info, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8  # what onnxruntime reads on every supported release
    onnx.checker.check_model(model)
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    results = session.run(None, {"X": x.detach().cpu().float().numpy()})
    y = torch.from_numpy(results[0])  # [seq, dirs, batch, hidden]
    out = y.permute(0, 2, 1, 3).reshape(x.shape[0], batch, dirs * hidden)
    states = tuple(torch.from_numpy(t) for t in results[1:])
    return out, (states if mode == "LSTM" else states[0])
