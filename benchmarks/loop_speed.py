"""Tokens per second of our training loop (shape-checked model, detach between minibatches) against a
straight port of source 003's loop (unchecked model, in-place detach_), same model, data and settings.

    python benchmarks/loop_speed.py [--epochs 30] [--model rnn|gru|lstm] [--repeats 3] [--out reports/loop_speed.json]
    REFERENCE_SHAPE_CHECKS=all python benchmarks/loop_speed.py    # check every call
    REFERENCE_SHAPE_CHECKS=0 python benchmarks/loop_speed.py      # no checks

Both loops train the same weights from the same start for the same epochs; the script prints tokens/s
of each (best of --repeats, interleaved) and their ratio (target: ours >= 1.0x with the checks on);
--out stores the run, with its provenance, in the JSON the docs' benchmarks page shows (benchmarks/figures.py).
"""

from __future__ import annotations

import argparse
import copy
import random
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reference.common.shapecheck import MODE, SHAPE_CHECKS  # noqa: E402
from reference.programs import datasets, sampling  # noqa: E402
from reference.programs.models import LanguageModel, make_layer  # noqa: E402
from reference.programs.train import grad_clipping, train_epoch  # noqa: E402


class SourceModel(nn.Module):
    """003's RNNmodel, ported as written: one-hot of inputs.T, the layer, a linear head over reshape."""

    def __init__(self, rnn_layer, vocab_size):
        super().__init__()
        self.rnn, self.vocab_size, self.num_hiddens = rnn_layer, vocab_size, rnn_layer.hidden_size
        self.linear = nn.Linear(self.num_hiddens, vocab_size)

    def forward(self, inputs, state):
        x = F.one_hot(inputs.T.long(), self.vocab_size).to(torch.float32)
        y, state = self.rnn(x, state)
        return self.linear(y.reshape((-1, y.shape[-1]))), state

    def begin_state(self, batch_size, device):
        shape = (self.rnn.num_layers, batch_size, self.num_hiddens)
        if isinstance(self.rnn, nn.LSTM):
            return torch.zeros(shape, device=device), torch.zeros(shape, device=device)
        return torch.zeros(shape, device=device)


def source_epoch(net, batches, updater, theta):
    """003's loop: begin_state once, then detach_() the carried state in place."""
    loss, state, tokens, start = nn.CrossEntropyLoss(), None, 0, time.perf_counter()
    for x, y in batches:
        if state is None:
            state = net.begin_state(batch_size=x.shape[0], device="cpu")
        elif isinstance(state, tuple):
            for s in state:
                s.detach_()
        else:
            state.detach_()
        y = y.T.reshape(-1)
        y_hat, state = net(x, state)
        ell = loss(y_hat, y.long()).mean()
        updater.zero_grad()
        ell.backward()
        grad_clipping(net.parameters(), theta)
        updater.step()
        tokens += y.numel()
    return tokens / (time.perf_counter() - start)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--model", choices=("rnn", "gru", "lstm"), default="rnn")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", type=Path, help="store the run in this JSON figure file (e.g. reports/loop_speed.json)")
    args = p.parse_args()
    try:  # found and verified before any work: a missing or damaged file is one line, exit 2
        path = datasets.locate("timemachine")
    except datasets.DataError as e:
        print(f"loop_speed: {e}", file=sys.stderr)
        return 2
    torch.set_num_threads(1)  # one core each, so the two loops compete on equal terms
    corpus, vocab = datasets.load_corpus_time_machine(path, max_tokens=10000)
    batches = list(sampling.sequential_iter(corpus, 32, 35, random.Random(0)))
    torch.manual_seed(0)
    layer = make_layer(args.model, len(vocab), 256)
    best = {"ours": 0.0, "source": 0.0}
    for _ in range(args.repeats):
        ours = LanguageModel(copy.deepcopy(layer), len(vocab))
        port = SourceModel(copy.deepcopy(layer), len(vocab))
        port.linear.load_state_dict(ours.linear.state_dict())
        opt_ours, opt_port = torch.optim.SGD(ours.parameters(), lr=1), torch.optim.SGD(port.parameters(), lr=1)
        rates_ours = [
            train_epoch(ours, batches, opt_ours, 1.0, "cpu", random_sampling=False)[1] for _ in range(args.epochs)
        ]
        rates_port = [source_epoch(port, batches, opt_port, 1.0) for _ in range(args.epochs)]
        best["ours"] = max(best["ours"], sorted(rates_ours)[len(rates_ours) // 2])
        best["source"] = max(best["source"], sorted(rates_port)[len(rates_port) // 2])
    ratio = best["ours"] / best["source"]
    runs = f"{args.epochs} epochs x {args.repeats} repeats"
    print(f"model {args.model}, hidden 256, batch 32 x 35 steps, {runs}, 1 thread")
    how = "every call" if MODE == "all" else "first call per signature"
    checks = how if SHAPE_CHECKS else "off"
    print(f"shape checks: {f'on, {how} (jaxtyping + beartype)' if SHAPE_CHECKS else 'off'}")
    print(f"ours     {best['ours']:10.0f} tokens/s (median epoch, best repeat)")
    print(f"source   {best['source']:10.0f} tokens/s")
    print(f"ratio    {ratio:10.3f}x (target >= 1.0)")
    if args.out:
        from figures import store_run

        key = {"model": args.model, "shape_checks": checks}
        figures = {"epochs": args.epochs, "repeats": args.repeats, "threads": 1, "hidden": 256, "batch": 32}
        figures |= {"steps": 35, "ours_tokens_per_s": round(best["ours"]), "source_tokens_per_s": round(best["source"])}
        store_run(args.out, "loop_speed", key, {**figures, "ratio": round(ratio, 3)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
