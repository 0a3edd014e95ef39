"""The one way the tools run the spec: a pytest process over ``spec/``, stopped cleanly by a signal.

``verify``, the mutant campaign and the coverage measurement each build their command with
:func:`pytest_command` and run it with :func:`run`. A SIGINT, SIGTERM or SIGHUP to the tool is passed on to the
pytest child and the worker processes it started (its process group), which is waited for (so nothing is left
running, and its temporary files go with it); the tool then exits 130, 143 or 129. The child never inherits an
ignored SIGINT (a job a script started in the background has one), and one that ignores the signal anyway is
killed after :data:`GRACE` seconds.
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
#: the checkout's root, or the site-packages folder an installed suite lives in
ROOT = SPEC_DIR.parent
#: what a session needs to run the claims (the axes, the recorder, the claims' collection)
PLUGIN = "spec.pytest_plugin"
#: the configuration ``verify`` runs pytest with, the same from a checkout and from a wheel: pytest's defaults (the
#: claims' collection, markers and filters come with the plugin)
INI = "[pytest]\n"


#: the signals that stop a run (passed on to its process group): Ctrl-C, ``kill``, the terminal closing
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
#: seconds a stopped child has to end before its process group is killed
GRACE = 30.0


class Stopped(Exception):
    """The tool was stopped by a signal; ``code`` is 128 + its number: 130 (SIGINT), 143 (SIGTERM), 129 (SIGHUP)."""

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
    inifile: Optional[Path] = None,
    known: Optional[Path] = None,
) -> list:
    """``python [python...] -m pytest spec/ ...`` with the spec's options; ``python``: what runs before ``-m pytest``
    (coverage's ``-m coverage run ...``).

    The session plugin (:mod:`spec.pytest_plugin`) is loaded by name, so a suite installed in site-packages runs as
    a checkout does; ``inifile``: the pytest configuration to use instead of looking for one above ``spec/`` (an
    installed suite must not pick up the settings or the conftest.py of a project around its virtual environment);
    conftest.py files are looked for no higher than the suite's root (the checkout's own is there)."""
    cmd = [sys.executable, *python, "-m", "pytest", *(str(p) for p in paths or [SPEC_DIR]), "--rootdir", str(ROOT)]
    cmd += [f"--confcutdir={ROOT}", "-p", PLUGIN] + (["-c", str(inifile)] if inifile else [])
    cmd += [f"--spec-device={device}", f"--spec-target={target}", f"--hypothesis-profile={profile}"]
    cmd += ["-p", "no:cacheprovider", "-p", "no:randomly", "-o", "addopts="]
    if impl:
        cmd.append(f"--spec-impl={impl}")
    if known is not None:
        cmd.append(f"--spec-known={known}")
    if report is not None:
        cmd.append(f"--spec-report={report}")
    if keyword:
        cmd += ["-k", keyword]
    return cmd + list(extra)


def run(cmd: list, env: Optional[dict] = None, on_line=None, cwd: Optional[Path] = None) -> tuple:
    """Run ``cmd`` in ``cwd`` (default: the suite's root); (exit code, stdout, stderr) as text. ``on_line(line)`` sees
    each line of stderr as it comes and returns whether it was its own (a progress line), which is then left out of
    the stderr returned. On SIGINT/SIGTERM/SIGHUP the child's process group gets the same signal and is waited for
    (killed after :data:`GRACE` seconds), then :class:`Stopped` is raised."""
    import threading
    import time

    received: list = []
    started: list = []

    def signal_group(signum):
        if started:
            with contextlib.suppress(ProcessLookupError):  # every process of the group has already ended
                os.killpg(started[0].pid, signum)

    def forward(signum, frame):
        received.append(signum)
        signal_group(signum)

    main = threading.current_thread() is threading.main_thread()  # only the main thread may handle signals
    # installed before the child starts: a signal that comes while it starts is not lost, and the child begins with
    # each of these at its default (a handler does not survive exec), never with the ignored SIGINT of a background job
    previous = {s: signal.signal(s, forward) for s in SIGNALS} if main else {}
    try:
        # its own process group: a signal reaches pytest and the workers it started (pytest-xdist), and only them
        proc = subprocess.Popen(
            cmd,
            cwd=cwd or ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        started.append(proc)
        if received:  # it came while the child was starting
            signal_group(received[0])
        chunks: dict = {"out": [], "err": []}

        def read_out():
            chunks["out"].append(proc.stdout.read())

        def read_err():
            for line in proc.stderr:
                if not (on_line and on_line(line)):
                    chunks["err"].append(line)

        readers = [threading.Thread(target=read_out, daemon=True), threading.Thread(target=read_err, daemon=True)]
        for t in readers:
            t.start()
        deadline = None
        while proc.poll() is None:
            # short waits, not one: a signal handled meanwhile must start the clock of the child's grace
            if received and deadline is None:
                deadline = time.monotonic() + GRACE
            if deadline is not None and time.monotonic() > deadline:  # a child that ignores the signal it was sent
                signal_group(signal.SIGKILL)
                deadline = float("inf")
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.2)
        if received:
            signal_group(signal.SIGKILL)  # whatever of the group is left (a worker that outlived pytest)
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
