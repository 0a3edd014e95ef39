"""Training practice from the sources: global-norm gradient clipping, perplexity, the state between
minibatches, greedy generation, and a small progress display."""

from __future__ import annotations

import json
import math
import sys
import time
from typing import Iterable, Optional

import torch
from torch import nn

from reference.common.files import replacing
from reference.common.states import map_state


def grad_clipping(parameters: Iterable[torch.Tensor], theta: float) -> float:
    """The sources' rule (003, 004): g = sqrt(sum of every squared gradient); if g > theta, every gradient
    is multiplied by theta / g. Returns g."""
    params = [p for p in parameters if p.grad is not None]
    norm = torch.sqrt(sum((p.grad**2).sum() for p in params)) if params else torch.tensor(0.0)
    if norm > theta:
        for p in params:
            p.grad.mul_(theta / norm)
    return float(norm)


def sgd(params: Iterable[torch.Tensor], lr: float, batch_size: int) -> None:
    """003's hand-written minibatch SGD: every parameter moves by -lr * grad / batch_size (the gradient of a
    loss summed over the batch, so the step is that of the batch mean), then its gradient is zeroed."""
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad / batch_size
            p.grad.zero_()


def perplexity(total_loss: float, tokens: int) -> float:
    """exp(mean cross-entropy); an overflow is infinite perplexity, not an error (004)."""
    try:
        return math.exp(total_loss / tokens)
    except OverflowError:
        return float("inf")


def detach(state):
    """The state (h, or (h, c); None before the first minibatch) cut from the graph that made it."""
    return map_state(torch.Tensor.detach, state)


def targets(y: torch.Tensor) -> torch.Tensor:
    """The targets of a [batch, steps] minibatch in the order of the model's output rows, step-major:
    row t * batch + b is step t of sequence b (Y.T.reshape(-1), as 003 and 004 write it)."""
    return y.T.reshape(-1)


def train_epoch(model, batches, optimizer, theta: float, device, random_sampling: bool, progress=None):
    """One epoch of the character language model. Returns (perplexity, tokens per second).

    Sequential/consecutive sampling carries the state into the next minibatch, detached so the gradient
    of each minibatch stops at its first step; random sampling starts every minibatch from zeros.
    """
    loss_fn = nn.CrossEntropyLoss()
    state, total, tokens, start = None, 0.0, 0, time.perf_counter()
    model.train()
    for x, y in batches:
        x, y = x.to(device), y.to(device)
        if state is None or random_sampling:
            state = model.begin_state(x.shape[0], device)
        else:
            state = detach(state)
        logits, state = model(x, state)
        target = targets(y)
        loss = loss_fn(logits, target.long())
        optimizer.zero_grad()
        loss.backward()
        grad_clipping(model.parameters(), theta)
        optimizer.step()
        total += loss.item() * target.numel()
        tokens += target.numel()
        if progress:
            progress()
    return perplexity(total, tokens), tokens / (time.perf_counter() - start)


@torch.no_grad()
def predict(prefix: str, num_preds: int, model, to_index, to_token, device="cpu") -> str:
    """Warm the state up on ``prefix``, then append ``num_preds`` greedy (argmax) predictions (003)."""
    model.eval()
    state = model.begin_state(1, device)
    outputs = [to_index(prefix[0])]
    for ch in prefix[1:]:
        _, state = model(torch.tensor([[outputs[-1]]], device=device), state)
        outputs.append(to_index(ch))
    for _ in range(num_preds):
        logits, state = model(torch.tensor([[outputs[-1]]], device=device), state)
        outputs.append(int(logits.argmax(dim=1).reshape(1)))
    return "".join(to_token(i) for i in outputs)


def binary_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of reviews whose rounded sigmoid equals the 0/1 label (000's binary_acc)."""
    return float((torch.round(torch.sigmoid(logits)) == labels).float().mean())


class Progress:
    """A one-line progress bar on stderr when it is a terminal; silent otherwise (logs stay clean)."""

    def __init__(self, total: int, label: str, stream=None):
        stream = sys.stderr if stream is None else stream  # looked up now: sys.stderr may have been replaced
        self.total, self.label, self.done, self.stream = max(total, 1), label, 0, stream
        self.live = hasattr(stream, "isatty") and stream.isatty()

    def __call__(self, step: int = 1) -> None:
        self.done += step
        if self.live:
            filled = int(30 * self.done / self.total)
            self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}")
            self.stream.flush()

    def close(self) -> None:
        if self.live:
            self.stream.write("\r" + " " * (len(self.label) + 45) + "\r")


def save_curve(values, ylabel: str, path, title: str = "") -> Optional[str]:
    """Plot a per-epoch curve to PNG; returns a note instead when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "plot skipped: matplotlib is not installed (pip install -e '.[examples]')"
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(range(1, len(values) + 1), values)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.tight_layout()
    with replacing(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return None


def write_json(path, data) -> None:
    """Write JSON so that a reader sees the old file or the new one, never half of one."""
    with replacing(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1) + "\n")
