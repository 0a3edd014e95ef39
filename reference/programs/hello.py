"""'hello' -> 'ohlol' (source 001): learn to map each letter of 'hello' to the next letter of 'ohlol'.

    python -m reference.programs.hello [--version cell|rnn] [--epochs 20] [--lr 0.1] [--seed 0] [--device cpu]
        [--out DIR [--name STEM] [--overwrite | --resume]] [--smoke]

``cell`` steps an RNNCell(4, 4) by hand and sums the per-step cross-entropy; ``rnn`` runs nn.RNN(4, 4)
over the word and averages it. Both read the 4 tanh-bounded hidden units as the logits of e, h, l, o.
One line per epoch; with --out, after every epoch: the loss curve (PNG), a weights-only checkpoint
(reloaded to check it), a JSON summary and the state --resume continues from.
"""

from __future__ import annotations

import sys

import torch
from torch import nn

from reference.programs import runs
from reference.programs.models import HELLO_CHARS, HelloCell, HelloRNN, hello_data


def setup(version: str, lr: float = 0.1, seed: int = 0, device: str = "cpu"):
    """(model, optimizer, inputs, labels) of a fresh run."""
    torch.manual_seed(seed)
    inputs, labels = (t.to(device) for t in hello_data())
    model = (HelloCell() if version == "cell" else HelloRNN()).to(device)
    return model, torch.optim.Adam(model.parameters(), lr=lr), inputs, labels


def epoch(version: str, model, optimizer, inputs, labels, loss_fn=nn.CrossEntropyLoss()):
    """One epoch over the word; returns (predicted word, loss)."""
    optimizer.zero_grad()
    if version == "cell":
        hidden, loss, predicted = model.init_hidden(), 0, []
        for x, y in zip(inputs, labels):
            hidden = model(x, hidden)
            loss = loss + loss_fn(hidden, y.view(1))
            predicted.append(int(hidden.argmax(dim=1)))
    else:
        logits = model(inputs)
        loss = loss_fn(logits, labels)
        predicted = logits.argmax(dim=1).tolist()
    loss.backward()
    optimizer.step()
    return "".join(HELLO_CHARS[i] for i in predicted), loss.item()


def log_line(n: int, word: str, loss: float) -> str:
    return f"epoch {n:3d}  predicted {word}  loss {loss:.4f}"


def train(version: str, epochs: int = 20, lr: float = 0.1, seed: int = 0, device: str = "cpu", log=None):
    """Train one model; returns (model, [(prediction, loss) per epoch])."""
    model, optimizer, inputs, labels = setup(version, lr, seed, device)
    history = []
    for n in range(1, epochs + 1):
        history.append(epoch(version, model, optimizer, inputs, labels))
        if log:
            log(log_line(n, *history[-1]))
    return model, history


def success_rate(version: str, seeds, epochs: int = 20, lr: float = 0.1) -> float:
    """Share of seeds whose last epoch predicts 'ohlol'."""
    return sum(train(version, epochs, lr, seed)[1][-1][0] == "ohlol" for seed in seeds) / len(seeds)


@runs.program("hello")
def main(argv=None) -> int:
    p = runs.Parser("hello", __doc__, smoke={"epochs": 3}, defaults={"epochs": 20, "lr": 0.1})
    p.add_argument("--version", choices=("cell", "rnn"), default="cell")
    p.add_argument("--epochs", type=runs.positive_int, help="default 20")
    p.add_argument("--lr", type=runs.positive_float, help="default 0.1")
    p.add_argument("--seed", type=runs.seed, default=0)
    p.add_argument("--device", default="cpu")
    p.add_output_options("hello-VERSION")
    args = p.parse(argv)
    args.name = f"hello-{args.version}" if args.name is None else args.name
    with runs.Signals() as signals, runs.Run(args, signals) as run:
        try:
            problem = runs.device_problem(args.device)
            if problem:
                raise runs.UsageError(problem)
            run.check()
            model, optimizer, inputs, labels = setup(args.version, args.lr, args.seed, args.device)
            history, start = [], 0
            if args.resume:

                def restore(state):
                    history[:] = [(str(w), float(v)) for w, v in state["history"]]

                start = run.load(model, optimizer, runs.settings_of(args), restore)["epoch"]
        except runs.UsageError as e:
            return fail("hello", str(e))

        def step(n):
            history.append(epoch(args.version, model, optimizer, inputs, labels))
            print(log_line(n, *history[-1]), flush=True)

        def save(n):
            summary = {
                "version": args.version,
                "epochs": n,
                "epochs_planned": args.epochs,
                "lr": args.lr,
                "seed": args.seed,
                "predictions": [w for w, _ in history],
                "losses": [round(v, 4) for _, v in history],
            }
            losses = [v for _, v in history]
            state = {"history": [list(h) for h in history], "settings": runs.settings_of(args)}
            run.save(model, optimizer, n, state, summary, losses, "loss")

        return runs.loop("hello", run, start, args.epochs, step, save)


def fail(name: str, message: str) -> int:
    print(f"{name}: error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
