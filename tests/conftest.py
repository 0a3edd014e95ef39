"""Shared by the tooling tests: subprocesses started up front and run two at a time.

Most of a subprocess's time is importing torch; starting a module's runs together in a pool of two
(the machine's cores) keeps the suite inside its time budget while each run stays a real process.
"""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def launch():
    """launch(args, cwd=ROOT, env=None, module=True) -> Future of CompletedProcess (text, captured)."""
    with ThreadPoolExecutor(max_workers=2) as pool:

        def start(args, cwd=ROOT, env=None, module="spec"):
            cmd = [sys.executable, "-m", module, *args] if module else [sys.executable, *args]
            return pool.submit(subprocess.run, cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)

        yield start


@pytest.fixture
def spec_cli(capsys, monkeypatch):
    """spec_cli(*args) -> (returncode, stdout, stderr) of ``python -m spec ARGS`` run in this process, for the
    commands' argument and input errors (the e2e tier runs the real entry point in fresh interpreters). It may
    not start a pytest run: a command that would, fails the test."""
    from types import SimpleNamespace

    from spec.tools import cli, runner

    def no_subprocess(cmd, *args, **kwargs):
        raise AssertionError(f"spec_cli would have started {cmd[:4]}: an e2e test's work")

    monkeypatch.setattr(runner, "run", no_subprocess)
    monkeypatch.chdir(ROOT)

    def run(*args):
        capsys.readouterr()
        try:
            code = cli.main([str(a) for a in args])
        except SystemExit as e:  # argparse's --help and errors
            code = e.code
        out, err = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return run


@pytest.fixture
def make_claim():
    """make_claim(registry, **overrides): register a minimal valid claim (overridden to break a rule)."""
    from spec.registry import TorchDoc, claim

    def make(registry, **overrides):
        kw = dict(
            id="rnn.shape.example",
            statement="An example claim.",
            kind="shape",
            modules=("RNN",),
            sources=(TorchDoc("torch.nn.RNN", "Outputs"),),
            registry=registry,
        )
        kw.update(overrides)

        @claim(**kw)
        def test_example():
            pass

        return test_example

    return make


@pytest.fixture
def started(monkeypatch, spec_cli):
    """What verify hands pytest: its command and keywords (the run itself ends at once, having collected nothing);
    {} if it never started."""
    from spec.tools import runner

    seen = {}

    def run(cmd, **kw):
        seen.update(cmd=cmd, **kw)
        return 5, "", ""

    monkeypatch.setattr(runner, "run", run)
    return seen
