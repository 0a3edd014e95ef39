"""``python -m spec coverage``: which lines and branches of torch's own recurrent Python code the claims run.

The spec runs under ``coverage run --branch`` in a subprocess, measuring only torch's three files
(:data:`FILES`); ``pytest --cov=torch.nn.modules.rnn`` is not used because it crashed the interpreter with a
segmentation fault (issue 17). The result, with its provenance (``spec.tools.results.provenance``), is stored
as ``reports/coverage/<torch>.json``; ``python -m spec docs`` turns each stored file into a page that lists
every line and branch the claims do not reach, each with the reason it is left (:data:`REASONS`) or marked as
a claim still to write.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

import spec

SPEC_DIR = Path(spec.__file__).resolve().parent
#: torch's Python code for the recurrent layers, relative to the torch package's parent folder.
FILES = ("torch/nn/modules/rnn.py", "torch/nn/utils/rnn.py", "torch/nn/utils/clip_grad.py")
#: The bar of issue 24: each file's branch coverage on the CI torch, every line and branch below it with a reason.
BAR = 90.0


class CoverageError(Exception):
    """The measurement could not be made: one line for the CLI, exit 2."""


def torch_root() -> Path:
    """The folder holding the installed ``torch`` package (found without importing torch)."""
    found = importlib.util.find_spec("torch")
    if found is None or not found.submodule_search_locations:
        raise CoverageError("torch is not installed")
    return Path(list(found.submodule_search_locations)[0]).parent


def functions_of(source: str) -> list:
    """(first line, last line, qualified name) of every function and class body, innermost last."""
    spans = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                spans.append((child.lineno, child.end_lineno, name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return spans


def enclosing(spans: list, line: int) -> str:
    inside = [(first, name) for first, last, name in spans if first <= line <= last]
    return max(inside)[1] if inside else "<module>"


def summarise(raw: dict, root: Path) -> dict:
    """coverage.py's JSON report -> per file: percentages, and each missed line and branch with its code."""
    out = {}
    base = root.resolve()
    by_rel = {}
    for name, value in raw["files"].items():
        path = Path(name).resolve()
        if base in path.parents:
            by_rel[path.relative_to(base).as_posix()] = value
    for rel in FILES:
        data = by_rel.get(rel)
        source_path = root / rel
        if data is None or not source_path.exists():
            out[rel] = {"measured": False}
            continue
        source = source_path.read_text(encoding="utf-8")
        lines, spans = source.splitlines(), functions_of(source)

        s = data["summary"]
        out[rel] = {
            "measured": True,
            "statements": s["num_statements"],
            "covered_lines": s["covered_lines"],
            "branches": s.get("num_branches", 0),
            "covered_branches": s.get("covered_branches", 0),
            "percent": round(s["percent_covered"], 1),
            "missing_lines": [_miss(lines, spans, n) for n in data["missing_lines"]],
            "missing_branches": [dict(_miss(lines, spans, a), to=b) for a, b in data.get("missing_branches", [])],
        }
    return out


def _miss(lines: list, spans: list, n: int) -> dict:
    """A missed line: its number, its code and the function it is in."""
    return {"line": n, "code": lines[n - 1].strip() if 0 < n <= len(lines) else "", "function": enclosing(spans, n)}


def measure(keyword: Optional[str] = None, profile: str = "ci", target: Path = SPEC_DIR) -> dict:
    """Run the spec's claims in ``target`` (cpu) under coverage; :func:`summarise`'s result plus what ran."""
    root = torch_root()
    with tempfile.TemporaryDirectory(prefix="spec-coverage-") as tmp:
        data_file, out_json, rc = Path(tmp) / ".coverage", Path(tmp) / "coverage.json", Path(tmp) / "coveragerc"
        # our own settings file: the project's [tool.coverage] measures the spec (its `source` would override
        # any --include), here only torch's three files are measured
        rc.write_text("[run]\nbranch = True\ninclude =\n" + "".join(f"    {root / f}\n" for f in FILES))
        from spec.tools import runner

        under = ("-m", "coverage", "run", f"--rcfile={rc}", f"--data-file={data_file}")
        run = runner.pytest_command(
            device="cpu", profile=profile, keyword=keyword, paths=[target], extra=["-q", "--tb=no"], python=under
        )
        returncode, stdout, stderr = runner.run(run)
        proc = subprocess.CompletedProcess(run, returncode, stdout, stderr)
        if proc.returncode == 5:
            raise CoverageError(f"-k {keyword!r} selects no claim" if keyword else "no claim collected")
        if proc.returncode not in (0, 1) or not data_file.exists():
            tail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-1:] or ["no output"]
            raise CoverageError(f"the spec did not run under coverage (exit {proc.returncode}): {tail[0]}")
        report = [sys.executable, "-m", "coverage", "json", f"--rcfile={rc}", f"--data-file={data_file}"]
        report += ["-o", str(out_json), "-q"]
        done = subprocess.run(report, cwd=SPEC_DIR.parent, capture_output=True, text=True)
        if done.returncode != 0 or not out_json.exists():
            raise CoverageError(f"coverage json failed: {(done.stderr.strip() or 'no output').splitlines()[-1]}")
        raw = json.loads(out_json.read_text())
    summary = proc.stdout.strip().splitlines()[-1:] if proc.stdout.strip() else [""]
    where = "all claims" if target == SPEC_DIR else f"the claims in {target.relative_to(SPEC_DIR.parent).as_posix()}"
    selection = f"{where} matching -k {keyword!r}" if keyword else where
    return {"files": summarise(raw, root), "selection": selection, "pytest": summary[0]}


def result(keyword: Optional[str] = None, profile: str = "ci", target: Path = SPEC_DIR) -> dict:
    """The stored form: schema, provenance, what ran, and the per-file figures."""
    from spec.tools import results as rpt

    measured = measure(keyword, profile, target)
    return {"schema": 1, **rpt.provenance(profile=profile), **measured}


def format_table(data: dict) -> str:
    from spec.tools.render import table

    rows = []
    for rel, f in data["files"].items():
        if not f["measured"]:
            rows.append([rel, "not measured", "", ""])
            continue
        lines = f"{f['covered_lines']}/{f['statements']}"
        rows.append([rel, lines, f"{f['covered_branches']}/{f['branches']}", f"{f['percent']:.1f}%"])
    return table(["file", "lines", "branches", "percent"], rows).rstrip("\n")


# --- why a line is not reached --------------------------------------------------------------------------------

M, U, C = FILES
CUDA = "another device: cuDNN's flat weight buffer is built only for CUDA tensors; CI has no GPU"
INTERNAL_MODE = "internal: RNNBase built directly with a mode that no layer passes"
TRACING = "TorchScript tracing or scripting only; the spec runs eager Python"
PICKLE_OLD = (
    "loading a module pickled by an old release (before its weights were named); the spec stores no old pickles"
)
LSTM_PACKED = (
    "unreachable from forward since 2.1: LSTM checks a given state only for a padded input, so batch_sizes is "
    "never set here (lstm.errors.packed-input-unchecked; its sibling before 2.1 runs this line)"
)
#: (file, enclosing function (or class) or "", a piece of the line's code or "", reason). The first match wins;
#: a missed line that matches none is a claim still to write.
REASONS: tuple = (
    (M, "apply_permutation", "", "a deprecated helper (FutureWarning); the layers use index_select"),
    (
        M,
        "RNNBase.__init__",
        "Unrecognized RNN mode",
        INTERNAL_MODE,
    ),
    (M, "RNNBase.flatten_parameters", "", CUDA),
    (M, "RNNBase._replicate_for_data_parallel", "", "another device: DataParallel replicas need several GPUs"),
    (M, "RNNBase.__setstate__", "", PICKLE_OLD),
    (M, "LSTM.get_expected_cell_size", "batch_sizes", LSTM_PACKED),
    (M, "RNN.forward", "pass", "a typing overload's body (TorchScript), never run"),
    (M, "LSTM.forward", "pass", "a typing overload's body (TorchScript), never run"),
    (M, "GRU.forward", "pass", "a typing overload's body (TorchScript), never run"),
    (
        M,
        "RNN.forward",
        "AssertionError",
        "internal invariant: hx is set and the mode is RNN_TANH/RNN_RELU on every path",
    ),
    (M, "RNN.forward", "mode != ", "internal invariant: hx is set and the mode is RNN_TANH/RNN_RELU on every path"),
    (M, "RNN.forward", "hx is None", "internal invariant: hx is set and the mode is RNN_TANH/RNN_RELU on every path"),
    (U, "PackedSequence.pin_memory", "", "another device: pinned memory needs CUDA"),
    (
        U,
        "PackedSequence.cuda",
        "",
        "another device: moving to CUDA needs a GPU (packed.semantics.conversions covers the CPU side)",
    ),
    (U, "PackedSequence.cpu", "", "another device: from CUDA back to the CPU needs a GPU"),
    (
        U,
        "PackedSequence.to.call_to",
        "",
        "another device: .to(device) moves the index tensors only when the device changes",
    ),
    # branches: the line is the test that was never decided the other way
    (M, "RNNBase.__init__", 'elif mode == "RNN_RELU"', INTERNAL_MODE),
    (M, "", "torch.jit.is_scripting()", TRACING),
)


def reason_for(rel: str, miss: dict) -> Optional[str]:
    for file, function, code, why in REASONS:
        inside = not function or miss["function"] == function or miss["function"].startswith(function + ".")
        if file == rel and inside and code in miss["code"]:
            return why
    return None
