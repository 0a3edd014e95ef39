"""What the four command lines share: one-line errors, checked numbers and devices, and a run that survives
being stopped.

- :class:`Parser`: argparse whose errors are one line (``char_lm: error: ...``, exit 2), with ``--smoke``
  settings that fill in only what the user did not give (:meth:`Parser.parse`).
- :func:`positive_int`, :func:`positive_float`: argparse types refusing 0, negatives, nan and inf.
- :func:`device_problem`: ``--device`` checked before any work.
- :class:`Run`: what ``--out`` receives, checked before any work (writable, nothing overwritten unless
  ``--overwrite``, ``--resume`` only with a checkpoint to resume); saved after every epoch and, on SIGINT or
  SIGTERM, once more before the program exits 130 or 143 with one line saying how to resume.

Exit codes: 0 done; 2 usage, input or environment (a one-line error); 130/143 stopped by SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import signal
import sys
import threading
from pathlib import Path
from typing import Optional

from common.files import cannot_write

#: Exit code of a run stopped by a signal: 128 + the signal's number, as a shell reports it.
STOPPED = {signal.SIGINT: 130, signal.SIGTERM: 143}


class UsageError(Exception):
    """Bad input to a program: one line, exit 2."""


class Parser(argparse.ArgumentParser):
    """``name: error: message`` on one line and exit 2, instead of argparse's usage block."""

    def __init__(self, name: str, doc: str, smoke: dict, defaults: dict):
        super().__init__(prog=f"python -m reference.programs.{name}", description=doc.splitlines()[0])
        self.name, self.smoke, self.defaults = name, smoke, defaults
        smoke_help = f"a run of seconds: {describe(smoke)} (options given explicitly win)"
        self.add_argument("--smoke", action="store_true", help=smoke_help)

    def error(self, message):
        print(f"{self.name}: error: {message}", file=sys.stderr)
        sys.exit(2)

    def add_output_options(self, name_help: str) -> None:
        self.add_argument("--out", type=Path, help="folder for the curve, the checkpoint and a JSON summary")
        self.add_argument("--name", help=f"file stem of what --out receives (default {name_help})")
        self.add_argument("--overwrite", action="store_true", help="replace an earlier run's files in --out")
        self.add_argument("--resume", action="store_true", help="continue the run stopped in --out (same settings)")

    def parse(self, argv=None) -> argparse.Namespace:
        """Parse; then each option the user left out takes the --smoke setting (with --smoke) or the default."""
        args = self.parse_args(argv)
        for key, value in {**self.defaults, **(self.smoke if args.smoke else {})}.items():
            if getattr(args, key) is None:
                setattr(args, key, value)
        return args


def describe(settings: dict) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in settings.items())


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be a finite number above 0")
    return value


def device_problem(device: str) -> Optional[str]:
    """Why ``device`` cannot run this program (one line), or None."""
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        return "--device cuda but no CUDA device is available"
    try:
        torch.empty(1, device=device)
    except Exception as e:  # torch raises RuntimeError, ValueError or AssertionError depending on the release
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return f"--device {device!r} cannot be used ({first})"
    return None


class Stopped(Exception):
    """SIGINT or SIGTERM arrived; ``signum`` says which."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Signals:
    """While active, SIGINT and SIGTERM raise :class:`Stopped` in the main thread, except inside
    :meth:`deferred`, where the signal waits until the block (a save) has finished."""

    def __init__(self):
        self.pending, self.depth, self.saved = None, 0, {}

    def _handle(self, signum, frame):
        if self.depth:
            self.pending = signum  # raised when the deferring block ends
        else:
            raise Stopped(signum)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():  # only there can a handler be installed
            for s in STOPPED:
                self.saved[s] = signal.signal(s, self._handle)
        return self

    def __exit__(self, *exc):
        for s, handler in self.saved.items():
            signal.signal(s, handler)
        return False

    @contextlib.contextmanager
    def deferred(self):
        """Signals wait until the block ends (blocks nest: the outermost one raises)."""
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
        if self.depth == 0 and self.pending is not None:
            signum, self.pending = self.pending, None
            raise Stopped(signum)


def stem_problem(name: str) -> Optional[str]:
    if not name or name.strip() != name:
        return f"--name {name!r}: a file stem is needed (letters, digits, '-', '_', '.')"
    if "/" in name or "\\" in name or name.startswith(".") or name in ("..",):
        return f"--name {name!r}: a file stem, not a path (no '/', not starting with '.')"
    return None


class Run:
    """The files of one run in ``--out``: ``<name>.png`` (curve), ``<name>.pt`` (weights only),
    ``<name>.json`` (summary) and ``<name>.state.pt`` (what ``--resume`` needs: the optimizer, the
    random states, the history). Without ``--out``, nothing is written and saving does nothing."""

    SUFFIXES = (".png", ".pt", ".json", ".state.pt")

    def __init__(self, args, signals: Signals):
        self.out, self.name, self.signals = args.out, args.name, signals
        self.overwrite, self.resume = args.overwrite, args.resume
        self.files = {s: Path(self.out) / f"{self.name}{s}" for s in self.SUFFIXES} if self.out else {}
        self.epochs_saved = 0

    def check(self) -> None:
        """Every problem with what will be written, before any work: UsageError (one line)."""
        problem = stem_problem(self.name)
        if problem:
            raise UsageError(problem)
        if self.out is None:
            if self.resume or self.overwrite:
                raise UsageError(f"--{'resume' if self.resume else 'overwrite'} needs --out")
            return
        if self.resume and self.overwrite:
            raise UsageError("--resume continues the files in --out, --overwrite replaces them: choose one")
        for path in self.files.values():
            problem = cannot_write(path)
            if problem:
                raise UsageError(f"cannot write to {path}: {problem}")
        if self.resume:
            if not self.files[".state.pt"].is_file():
                raise UsageError(f"nothing to resume: {self.files['.state.pt']} does not exist")
        elif not self.overwrite:
            existing = [p for p in self.files.values() if p.exists()]
            if existing:
                raise UsageError(
                    f"{existing[0]} exists: pass --resume to continue that run or --overwrite to replace it"
                )

    def load(self, model, optimizer, settings: dict) -> dict:
        """The saved training state, loaded into ``model`` and ``optimizer``; UsageError if it was made with
        other settings or cannot be read."""
        import torch

        path = self.files[".state.pt"]
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            saved = state["settings"]
        except Exception as e:  # a damaged or foreign file: torch raises many kinds
            raise UsageError(f"{path}: not a checkpoint of this program ({type(e).__name__})") from None
        changed = [k for k in settings if saved.get(k) != settings[k]]
        if changed:
            k = changed[0]
            raise UsageError(f"{path} was made with --{k.replace('_', '-')} {saved.get(k)}, not {settings[k]}")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        self.epochs_saved = state["epoch"]
        return state

    def save(self, model, optimizer, epoch: int, state: dict, summary: dict, curve: list, ylabel: str) -> None:
        """Weights, training state and summary, each replaced atomically; a signal waits for the end. The
        curve (a plot costs more than an epoch of the small runs) every tenth of the run and at its end."""
        if not self.out:
            return
        import torch

        from common.files import replacing
        from reference.programs.checkpoint import save_and_reload
        from reference.programs.train import write_json

        with self.signals.deferred():
            self.curve, self.ylabel = curve, ylabel
            planned = summary["epochs_planned"]
            if epoch == planned or (epoch and epoch % max(1, planned // 10) == 0):
                self.draw()
            save_and_reload(model, self.files[".pt"])
            full = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch, **state}
            with replacing(self.files[".state.pt"]) as tmp:
                torch.save(full, tmp)
            write_json(self.files[".json"], summary)
            self.epochs_saved, self.summary = epoch, summary

    def draw(self) -> None:
        from reference.programs.train import save_curve

        title = f"{self.name}: {self.ylabel} by epoch"
        self.note = save_curve(self.curve, self.ylabel, self.files[".png"], title)

    def mark_stopped(self, signum: int) -> None:
        """Rewrite the summary of the last saved epoch, saying the run was stopped and by what (the summary
        holds the whole curve; the plot is left as last drawn, every tenth of the run)."""
        from reference.programs.train import write_json

        if self.out and getattr(self, "summary", None) is not None:
            write_json(self.files[".json"], {**self.summary, "stopped": signal.Signals(signum).name})

    def report(self) -> None:
        if self.out:
            print(getattr(self, "note", None) or f"curve: {self.files['.png']}")
            print(f"checkpoint: {self.files['.pt']}\nsummary: {self.files['.json']}")


def loop(name: str, run: Run, start: int, planned: int, step, save) -> int:
    """Epochs ``start + 1`` to ``planned``: ``step(epoch)`` trains one, ``save(epoch)`` saves it (epoch 0 is
    saved first, so even a run stopped in its first epoch can be resumed). On SIGINT or SIGTERM the last
    finished epoch is saved, the summary says the run was stopped, one line says how to resume, and the exit
    code is 130 or 143. Returns the exit code."""
    done = start
    try:
        if start == 0:
            save(0)
        for epoch in range(start + 1, planned + 1):
            step(epoch)
            done = epoch
            save(epoch)
    except Stopped as e:
        with contextlib.suppress(Stopped):  # a second signal while saving: the save finishes anyway
            with run.signals.deferred():
                if run.out and done > run.epochs_saved:
                    save(done)  # stopped after an epoch finished but before it was saved
                run.mark_stopped(e.signum)
        if run.out:
            where = f"after epoch {run.epochs_saved} of {planned}; saved in {run.out}"
            hint = " (continue: the same command with --resume)"
        else:
            where, hint = f"after epoch {done} of {planned}", "; nothing saved (no --out)"
        print(f"{name}: stopped by {signal.Signals(e.signum).name} {where}{hint}", file=sys.stderr)
        return STOPPED[e.signum]
    run.report()
    return 0


def stopped_early(name: str, e: Stopped) -> int:
    """A signal before training started (while the data was read): nothing to save."""
    print(f"{name}: stopped by {signal.Signals(e.signum).name} before training; nothing saved", file=sys.stderr)
    return STOPPED[e.signum]


#: options a resumed run may change: where things are, how long, on what
RESUMABLE = ("epochs", "out", "name", "overwrite", "resume", "device", "data", "download", "smoke")


def settings_of(args) -> dict:
    """The settings a resumed run must share with the run it continues."""
    return {k: str(v) for k, v in sorted(vars(args).items()) if k not in RESUMABLE}


def python_rng_state(rng) -> list:
    """random.Random's state as plain lists (loadable with weights_only=True)."""
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def set_python_rng_state(rng, state: list) -> None:
    rng.setstate((state[0], tuple(state[1]), state[2]))
