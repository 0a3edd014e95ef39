"""What the four command lines share: one-line errors, checked numbers and devices, and a run that survives
being stopped.

- :class:`Parser`: argparse whose errors are one line (``char_lm: error: ...``, exit 2), with ``--smoke``
  settings that fill in only what the user did not give (:meth:`Parser.parse`).
- :func:`positive_int`, :func:`count`, :func:`positive_float`, :func:`seed`, :func:`text`: argparse types
  refusing 0, negatives, nan and inf, seeds torch cannot take, empty text.
- :func:`device_problem`: ``--device`` checked before any work (one that holds no values, ``meta``, refused).
- :class:`Run`: what ``--out`` receives, checked before any work (writable, nothing there but regular files,
  nothing overwritten unless ``--overwrite``, ``--resume`` only with a checkpoint of this program made with
  the same settings, data and sizes, one run at a time per name and folder: a lock); saved after every epoch
  (the training state first, so a save cut short by a full disk leaves the last saved epoch resumable) and,
  on SIGINT or SIGTERM, once more before the program exits 130 or 143 with one line saying how to resume.

Exit codes: 0 done; 2 usage, input or environment (a one-line error); 130/143 stopped by SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import math
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Optional

from reference.common.files import cannot_write

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; two runs into one --out are then unprotected
    fcntl = None

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
        """Parse; then each option the user left out takes the --smoke setting (with --smoke) or the default.
        A setting of the environment the programs cannot run with (``REFERENCE_SHAPE_CHECKS``) is an error
        here, before any work."""
        from reference.common.shapecheck import MODE_PROBLEM

        args = self.parse_args(argv)
        if MODE_PROBLEM:
            self.error(MODE_PROBLEM)
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


def count(text: str) -> int:
    """A whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be 0 or more")
    return value


#: what torch.manual_seed takes: a signed or unsigned 64-bit integer
SEEDS = range(-(2**63), 2**64)


def seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value not in SEEDS:
        raise argparse.ArgumentTypeError(f"{text} is outside torch's seeds (-2**63 to 2**64 - 1)")
    return value


def text(value: str) -> str:
    """Text that is not empty."""
    if not value:
        raise argparse.ArgumentTypeError("empty text: give at least one character")
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
    try:  # a value there and back: a device that holds none (meta) cannot train or report a loss
        if torch.ones(1, device=device).add(1).cpu().item() != 2:
            return f"--device {device!r} cannot be used (1 + 1 is not 2 there)"
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
    random states, the history). Without ``--out``, nothing is written and saving does nothing.

    A context manager: :meth:`check` claims the name in ``--out`` (``.<name>.lock``, held with ``flock``
    until the block ends, so a second run into the same files is refused rather than interleaved), and the
    end of the block releases it, removing a folder it made that is still empty."""

    SUFFIXES = (".png", ".pt", ".json", ".state.pt")

    def __init__(self, args, signals: Signals):
        self.out, self.name, self.signals = args.out, args.name, signals
        self.overwrite, self.resume = args.overwrite, args.resume
        self.files = {s: Path(self.out) / f"{self.name}{s}" for s in self.SUFFIXES} if self.out else {}
        self.epochs_saved = 0
        self.state_saved = None  # the epoch of the last training state written, if any
        self.lock, self.made = None, []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
        return False

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
        self.claim()
        if self.resume:
            if not self.files[".state.pt"].is_file():
                raise UsageError(f"nothing to resume: {self.files['.state.pt']} does not exist")
        elif not self.overwrite:
            existing = [p for p in self.files.values() if p.exists()]
            if existing:
                raise UsageError(
                    f"{existing[0]} exists: pass --resume to continue that run or --overwrite to replace it"
                )

    def claim(self) -> None:
        """Take the lock on this run's name in ``--out`` (making the folder if needed), or UsageError naming
        the process that holds it."""
        folder = Path(self.out)
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UsageError(f"cannot make {folder} ({e.strerror or e})") from None
        self.made = missing  # innermost first: what release() may remove again
        if fcntl is None:
            return
        path = folder / f".{self.name}.lock"
        while True:
            try:
                handle = open(path, "a+")
            except OSError as e:
                raise UsageError(f"cannot write to {path}: {e.strerror or e}") from None
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # held: another run
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                handle.close()
                raise UsageError(
                    f"{folder} is in use: another run ({holder}) is writing {self.name} there; "
                    "wait for it, or give this one another --out or --name"
                ) from None
            except OSError:  # a file system without locks (ENOLCK): run unprotected, as on Windows
                break
            with contextlib.suppress(FileNotFoundError):
                if os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
                    break  # the lock is on the file that is still there: ours
            handle.close()  # its holder removed it as we opened it: take the new one
        handle.truncate(0)
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        self.lock = (path, handle)

    def release(self) -> None:
        """Drop the lock (removing its file) and the folders :meth:`claim` made, if nothing was written there."""
        if self.lock is not None:
            path, handle = self.lock
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            handle.close()
            self.lock = None
        for folder in self.made:
            try:
                folder.rmdir()
            except OSError:  # not empty: this run (or another) wrote there
                break
        self.made = []

    def load(self, model, optimizer, settings: dict, restore=None) -> dict:
        """The saved training state, loaded into ``model`` and ``optimizer`` and handed to ``restore`` (which
        sets what else the program keeps: its history, its random states); UsageError if it was made with
        other settings, other data (another vocabulary) or sizes, or is not a checkpoint of this program."""
        import torch

        path = self.files[".state.pt"]
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:  # a damaged or foreign file: torch raises many kinds
            raise UsageError(f"{path}: not a checkpoint of this program ({type(e).__name__})") from None
        problem = state_problem(state)
        if problem:
            raise UsageError(f"{path}: not a checkpoint of this program ({problem})")
        saved = state["settings"]
        changed = [k for k in settings if k in saved or not k.startswith(DATA)]
        changed = [k for k in changed if saved.get(k) != settings[k]]
        if changed:
            k = changed[0]
            if k.startswith(DATA):
                what = k[len(DATA) :]
                raise UsageError(
                    f"{path} was made with a {what} of {saved[k]}, this data gives {settings[k]}: "
                    "other data (or --smoke, or --limit) than the run it continues"
                )
            raise UsageError(f"{path} was made with --{k.replace('_', '-')} {saved.get(k)}, not {settings[k]}")
        problem = shape_problem(state["model"], model.state_dict())
        if problem:
            raise UsageError(f"{path} holds a model of other sizes ({problem}): other settings or data")
        try:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            if restore is not None:
                restore(state)
        except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as e:  # a hand-made or foreign file
            first = (str(e).strip().splitlines() or [""])[0][:200]
            raise UsageError(f"{path}: not a checkpoint of this program ({type(e).__name__}: {first})") from None
        self.epochs_saved = self.state_saved = state["epoch"]
        return state

    def save(self, model, optimizer, epoch: int, state: dict, summary: dict, curve: list, ylabel: str) -> None:
        """Training state, weights and summary, each replaced atomically, in that order (a save cut short
        leaves a resumable state: the new one, or the last epoch's with everything else as it was); a
        signal waits for the end. The curve (a plot costs more than an epoch of the small runs) every tenth of
        the run and at its end. A write that fails raises OSError (``reference.common.files.WriteError``)."""
        if not self.out:
            return
        import torch

        from reference.common.files import replacing_file
        from reference.programs.checkpoint import save_and_reload
        from reference.programs.train import write_json

        with self.signals.deferred():
            full = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch, **state}
            with replacing_file(self.files[".state.pt"]) as f:
                torch.save(full, f)
            self.state_saved = epoch
            save_and_reload(model, self.files[".pt"])
            write_json(self.files[".json"], summary)
            self.curve, self.ylabel = curve, ylabel
            planned = summary["epochs_planned"]
            if epoch == planned or (epoch and epoch % max(1, planned // 10) == 0):
                self.draw()
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

    def not_saved(self, name: str, epoch: int, error: OSError) -> int:
        """One line for a save that failed (a full disk), saying what is kept; returns exit code 2."""
        if self.state_saved is None:
            kept = "nothing of this run is saved"
        else:
            kept = (
                f"the training state of epoch {self.state_saved} is saved: free space, then the same command "
                "with --resume continues from there"
            )
        print(f"{name}: error: cannot save epoch {epoch}: {error.strerror or error}; {kept}", file=sys.stderr)
        return 2


#: settings that describe the data rather than an option: ``data-<what>`` (compared only when the checkpoint
#: has them: older checkpoints are checked by their tensors' sizes)
DATA = "data-"


def vocabulary_setting(tokens) -> dict:
    """The data's part of a run's settings: its vocabulary, by size and digest (another corpus, or a
    ``--smoke`` cut of it, numbers its tokens otherwise even where the sizes agree)."""
    digest = hashlib.sha1("\n".join(tokens).encode("utf-8")).hexdigest()[:12]
    return {f"{DATA}vocabulary": f"{len(tokens)} tokens (sha1 {digest})"}


def state_problem(state) -> Optional[str]:
    """What makes ``state`` something other than a training state of these programs, or None."""
    if not isinstance(state, dict):
        return f"a {type(state).__name__}, not a dict"
    for key, kind in (("settings", dict), ("model", dict), ("optimizer", dict), ("epoch", int)):
        if key not in state:
            return f"no {key!r}"
        if not isinstance(state[key], kind) or isinstance(state[key], bool):
            return f"its {key!r} is a {type(state[key]).__name__}, not a {kind.__name__}"
    if state["epoch"] < 0:
        return f"epoch {state['epoch']}"
    return None


def shape_problem(saved: dict, current: dict) -> Optional[str]:
    """The first tensor whose name or shape differs between a saved state_dict and the model's, or None."""
    import torch

    for key, tensor in current.items():
        if key not in saved:
            return f"no {key}"
        other = saved[key]
        if not isinstance(other, torch.Tensor):
            return f"{key} is a {type(other).__name__}"
        if other.shape != tensor.shape:
            return f"{key} is {list(other.shape)} there, {list(tensor.shape)} here"
    extra = [k for k in saved if k not in current]
    return f"{extra[0]} is not in this model" if extra else None


def loop(name: str, run: Run, start: int, planned: int, step, save) -> int:
    """Epochs ``start + 1`` to ``planned``: ``step(epoch)`` trains one, ``save(epoch)`` saves it (epoch 0 is
    saved first, so even a run stopped in its first epoch can be resumed). On SIGINT or SIGTERM the last
    finished epoch is saved, the summary says the run was stopped, one line says how to resume, and the exit
    code is 130 or 143. Returns the exit code."""
    done = start
    try:
        save(start)  # a resumed run's files all say the epoch it resumes (a save cut short is completed)
        for epoch in range(start + 1, planned + 1):
            step(epoch)
            done = epoch
            save(epoch)
    except OSError as e:  # a full disk: one line, the last saved epoch kept
        return run.not_saved(name, done, e)
    except Stopped as e:
        try:
            with contextlib.suppress(Stopped):  # a second signal while saving: the save finishes anyway
                with run.signals.deferred():
                    if run.out and done > run.epochs_saved:
                        save(done)  # stopped after an epoch finished but before it was saved
                    run.mark_stopped(e.signum)
        except OSError as error:
            return run.not_saved(name, done, error)
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


def program(name: str):
    """A program's ``main``: a signal anywhere before its loop starts (checking --out, reading the data, building the
    model, loading the state --resume continues from) ends it in one line, 130 or 143, as :func:`loop` does after."""

    def wrap(main):
        @functools.wraps(main)
        def run(argv=None) -> int:
            try:
                return main(argv)
            except Stopped as e:
                return stopped_early(name, e)

        return run

    return wrap


#: options a resumed run may change: where things are, how long, on what
RESUMABLE = ("epochs", "out", "name", "overwrite", "resume", "device", "data", "download", "smoke")


def settings_of(args, data: Optional[dict] = None) -> dict:
    """The settings a resumed run must share with the run it continues: its options, and ``data``
    (:func:`vocabulary_setting`)."""
    return {**{k: str(v) for k, v in sorted(vars(args).items()) if k not in RESUMABLE}, **(data or {})}


def python_rng_state(rng) -> list:
    """random.Random's state as plain lists (loadable with weights_only=True)."""
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def set_python_rng_state(rng, state: list) -> None:
    rng.setstate((state[0], tuple(state[1]), state[2]))
