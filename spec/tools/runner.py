"""The one way the tools run the spec: a pytest process over ``spec/``, stopped cleanly by a signal.

``verify``, the mutant campaign and the coverage measurement each build their command with
:func:`pytest_command` and run it with :func:`run`. A SIGINT or SIGTERM to the tool is passed on to the pytest
child and the worker processes it started (its process group), which is waited for (so nothing is left running,
and its temporary files go with it); the tool then exits 130 or 143.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Optional

import spec

SPEC_DIR = Path(spec.__file__).resolve().parent
ROOT = SPEC_DIR.parent


class Stopped(Exception):
    """The tool was stopped by a signal; ``code`` is 130 (SIGINT) or 143 (SIGTERM)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.code = 128 + signum


def pytest_command(
    *,
    report: Optional[Path] = None,
    device: str = "cpu",
    target: str = "eager",
    impl: Optional[str] = None,
    profile: str = "ci",
    keyword: Optional[str] = None,
    paths=(),
    extra=(),
    python=(),
) -> list:
    """``python [python...] -m pytest spec/ ...`` with the spec's options; ``python``: what runs before ``-m pytest``
    (coverage's ``-m coverage run ...``)."""
    cmd = [sys.executable, *python, "-m", "pytest", *(str(p) for p in paths or [SPEC_DIR]), "--rootdir", str(ROOT)]
    cmd += [f"--spec-device={device}", f"--spec-target={target}", f"--hypothesis-profile={profile}"]
    cmd += ["-p", "no:cacheprovider", "-p", "no:randomly", "-o", "addopts="]
    if impl:
        cmd.append(f"--spec-impl={impl}")
    if report is not None:
        cmd.append(f"--spec-report={report}")
    if keyword:
        cmd += ["-k", keyword]
    return cmd + list(extra)


def run(cmd: list, env: Optional[dict] = None, on_line=None) -> tuple:
    """Run ``cmd`` in the checkout; (exit code, stdout, stderr) as text. ``on_line(line)`` sees each line of stderr as
    it comes and returns whether it was its own (a progress line), which is then left out of the stderr returned.
    On SIGINT/SIGTERM the child gets the same signal and is waited for, then :class:`Stopped` is raised."""
    import threading

    received: list = []
    # its own process group: a signal reaches pytest and the workers it started (pytest-xdist), and only them
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    chunks: dict = {"out": [], "err": []}

    def read_out():
        chunks["out"].append(proc.stdout.read())

    def read_err():
        for line in proc.stderr:
            if not (on_line and on_line(line)):
                chunks["err"].append(line)

    def signal_group(signum):
        with contextlib.suppress(ProcessLookupError):  # every process of the group has already ended
            os.killpg(proc.pid, signum)

    def forward(signum, frame):
        received.append(signum)
        signal_group(signum)

    readers = [threading.Thread(target=read_out, daemon=True), threading.Thread(target=read_err, daemon=True)]
    for t in readers:
        t.start()
    main = threading.current_thread() is threading.main_thread()  # only the main thread may handle signals
    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)} if main else {}
    try:
        while True:
            try:
                proc.wait(timeout=None if not received else 30)
                break
            except subprocess.TimeoutExpired:  # a child that ignores the signal it was sent
                signal_group(signal.SIGKILL)
        for t in readers:
            t.join()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if received:
        raise Stopped(received[0])
    return proc.returncode, "".join(chunks["out"]), "".join(chunks["err"])


def environ(**changes) -> dict:
    """The current environment with ``changes`` (None removes a variable)."""
    env = dict(os.environ)
    for k, v in changes.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env
