"""'hello' -> 'ohlol' (source 001): learn to map each letter of 'hello' to the next letter of 'ohlol'.

    python -m reference.programs.hello [--version cell|rnn] [--epochs 20] [--lr 0.1] [--seed 0] [--device cpu]
                              [--out DIR] [--smoke]

``cell`` steps an RNNCell(4, 4) by hand and sums the per-step cross-entropy; ``rnn`` runs nn.RNN(4, 4)
over the word and averages it. Both read the 4 tanh-bounded hidden units as the logits of e, h, l, o.
One line per epoch; with --out, the loss curve (PNG) and a weights-only checkpoint, reloaded to check it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from torch import nn

from reference.programs.models import HELLO_CHARS, HelloCell, HelloRNN, hello_data


def train(version: str, epochs: int = 20, lr: float = 0.1, seed: int = 0, device: str = "cpu", log=None):
    """Train one model; returns (model, [(prediction, loss) per epoch])."""
    torch.manual_seed(seed)
    inputs, labels = (t.to(device) for t in hello_data())
    model = (HelloCell() if version == "cell" else HelloRNN()).to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for epoch in range(1, epochs + 1):
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
        word = "".join(HELLO_CHARS[i] for i in predicted)
        history.append((word, loss.item()))
        if log:
            log(f"epoch {epoch:3d}  predicted {word}  loss {loss.item():.4f}")
    return model, history


def success_rate(version: str, seeds, epochs: int = 20, lr: float = 0.1) -> float:
    """Share of seeds whose last epoch predicts 'ohlol'."""
    return sum(train(version, epochs, lr, seed)[1][-1][0] == "ohlol" for seed in seeds) / len(seeds)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m reference.programs.hello", description=__doc__.splitlines()[0])
    p.add_argument("--version", choices=("cell", "rnn"), default="cell")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", type=Path, help="folder for the loss curve and the checkpoint")
    p.add_argument("--smoke", action="store_true", help="3 epochs: a run of seconds, to check the program")
    args = p.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("hello: error: --device cuda but no CUDA device is available", file=sys.stderr)
        return 2
    epochs = 3 if args.smoke else args.epochs
    model, history = train(args.version, epochs, args.lr, args.seed, args.device, log=print)
    if args.out:
        from reference.programs.checkpoint import save_and_reload
        from reference.programs.train import save_curve

        args.out.mkdir(parents=True, exist_ok=True)
        note = save_curve(
            [loss for _, loss in history],
            "loss",
            args.out / f"hello-{args.version}.png",
            f"hello -> ohlol ({args.version})",
        )
        print(note or f"curve: {args.out / f'hello-{args.version}.png'}")
        print(f"checkpoint: {save_and_reload(model, args.out / f'hello-{args.version}.pt')}")
        summary = {
            "version": args.version,
            "epochs": epochs,
            "lr": args.lr,
            "seed": args.seed,
            "predictions": [w for w, _ in history],
            "losses": [round(v, 4) for _, v in history],
        }
        (args.out / f"hello-{args.version}.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
