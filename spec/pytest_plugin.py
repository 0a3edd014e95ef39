"""What a pytest session needs to run the claims, wherever the suite lives: the one plugin that the checkout's
``conftest.py``, ``python -m spec verify`` (``-p spec.pytest_plugin``) and the pytest entry (``pytest --rnn-spec``,
:mod:`spec.pytest_entry`) all load, so a wheel in site-packages runs exactly what a clone runs.

- The spec's two plugins (:data:`pytest_plugins`): the axes each claim runs along (``spec.helpers.axes``) and the
  recorder that writes the report (``spec.tools.plugin``).
- Assertion rewriting of ``spec`` and ``reference``: a failed assert in a claim shows its operands.
- The claim modules are collected by their place (``spec/claims/<kind>/<family>.py``, ``.../<family>/<topic>.py``,
  the same under ``spec/programs``), not by the session's ``python_files``, which an implementer's session sets to
  suit its own tests.
- Each claim's ID is a keyword of its cases: ``-k rnn.errors`` selects what the words match, as pytest does
  (substrings), and a ``-k`` word that is exactly a claim ID selects that claim alone (``rnn.errors.input``, not
  also ``rnn.errors.input-something``). Every claim carries the marker ``rnn_spec``: ``-m rnn_spec`` runs the
  claims alone in a session that holds other tests, ``-m "not rnn_spec"`` the others.
- ``--spec-known FILE`` (or ``$RNN_SPEC_KNOWN``): a known-divergence file kept outside the suite, in the
  implementer's repository; it replaces the adapter's own (``spec.implementations.known_file``). Checked, with the
  implementation's rules, before anything is collected.
- ``REFERENCE_SHAPE_CHECKS`` other than its documented values stops the session at its start, in one line; so does
  an implementation (``--spec-impl``, ``$RNN_SPEC_IMPL``) that names no adapter.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from spec import version

SPEC_DIR = Path(__file__).resolve().parent
#: the packages of spec/ that hold claim modules (``spec.CLAIM_PACKAGES``, as folders)
CLAIM_FOLDERS = ("claims", "programs")
#: the marker every claim's cases carry
MARKER = "rnn_spec"
#: asserted by a claim of its own (spec/claims/warnings/lstm.py); noise in every other claim's output
NOISE = "ignore:LSTM with projections is not supported with oneDNN:UserWarning"

#: rewritten so that a failed assert shows its operands: the claims and what they call (``spec`` itself is imported by
#: now, being this module's package; the plugins pytest imports for us it rewrites anyway)
REWRITE = ("spec.claims", "spec.programs", "spec.helpers", "spec.implementations", "spec.registry", "reference")
pytest.register_assert_rewrite(*(name for name in REWRITE if name not in sys.modules))
pytest_plugins = ["spec.helpers.axes", "spec.tools.plugin"]


def pytest_addoption(parser):
    group = parser.getgroup("spec")
    group.addoption(
        "--spec-known",
        default=None,
        metavar="FILE",
        help="a known-divergence file kept outside the suite; it replaces the adapter's own (default: $RNN_SPEC_KNOWN)",
    )


def pytest_configure(config):
    from reference.common.shapemode import read  # not shapecheck: an xdist controller never imports torch

    problem = read()[1]
    if problem:
        raise pytest.UsageError(problem)
    config.addinivalue_line("markers", f"{MARKER}: a case of one of rnn-spec's claims")
    from spec import implementations
    from spec.implementations import KNOWN_ENV

    named = config.getoption("spec_impl", None) or implementations.chosen()
    if named.strip() != "torch":
        try:  # a name or MODULE:ATTR that is no adapter: one line here, not an INTERNALERROR at collection
            implementations.resolve(named)
        except ValueError as e:
            raise pytest.UsageError(str(e)) from None

    chosen = config.getoption("spec_known", None)
    if chosen:
        os.environ[KNOWN_ENV] = str(Path(config.invocation_params.dir, chosen).resolve())
    problem = known_file_problem(os.environ.get(KNOWN_ENV))
    if problem:
        raise pytest.UsageError(problem)
    if version.checkout() is None:
        # an installed suite's revision is the one its wheel recorded, not that of a repository around site-packages
        os.environ.setdefault(version.ENV, version.revision())


def known_file_problem(path) -> str | None:
    """Why ``path`` cannot serve as the known-divergence file, in one line; None when it can (or none is given)."""
    if not path:
        return None
    if not Path(path).is_file():
        return f"known-divergence file {path}: no such file"
    from spec.implementations import divergences

    try:
        divergences.load(Path(path))
    except (OSError, ValueError) as e:  # KnownFileError is a ValueError; a JSON error too
        return f"known-divergence file {path}: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
    return None


# --- collection -------------------------------------------------------------------------------------------------
def is_claim_module(path: Path) -> bool:
    """``spec/<claims|programs>/<kind>/<family>.py`` or ``.../<kind>/<family>/<topic>.py``, not ``_private.py``."""
    if path.suffix != ".py" or path.name.startswith("_"):
        return False
    try:
        parts = path.resolve().relative_to(SPEC_DIR).parts
    except ValueError:
        return False
    return parts[0] in CLAIM_FOLDERS and len(parts) in (3, 4)


def pytest_collect_file(file_path, parent):
    from _pytest.python import path_matches_patterns

    if is_claim_module(file_path) and not path_matches_patterns(file_path, parent.config.getini("python_files")):
        return pytest.Module.from_parent(parent, path=file_path)  # (one the session's own patterns match is theirs)
    return None


def exact(cid: str) -> str:
    """The keyword that names one claim and no other (pytest matches -k words as substrings of keywords)."""
    return f"claim[{cid}]"


#: a word of a -k expression, as pytest's lexer reads it (``_pytest/mark/expression.py``)
WORD = re.compile(r"(:?\w|:|\+|-|\.|\[|\]|\\|/)+")


def exact_selection(expression: str, ids) -> str:
    """``expression`` with each word that is exactly a claim ID replaced by that claim's own keyword."""
    return WORD.sub(lambda m: exact(m.group(0)) if m.group(0) in ids else m.group(0), expression)


@pytest.hookimpl(hookwrapper=True)
def pytest_collection_modifyitems(session, config, items):
    """Claim IDs as keywords, the marker, the one filter; ``-k`` read with claim IDs exact while pytest deselects,
    then given back as typed (the report records the selection as the user wrote it)."""
    from spec.registry import claim_of

    ids = set()
    for item in items:
        c = claim_of(getattr(item, "obj", None))
        if c is None:
            continue
        ids.add(c.id)
        item.extra_keyword_matches.update((c.id, exact(c.id)))
        item.add_marker(MARKER)
        item.add_marker(pytest.mark.filterwarnings(NOISE))
    typed = config.option.keyword
    if typed:
        config.option.keyword = exact_selection(typed, ids)
    try:
        yield
    finally:
        config.option.keyword = typed


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed case names its claim (ID and statement) in pytest's own report: the node ID alone does not."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        from spec.registry import claim_of

        c = claim_of(getattr(item, "obj", None))
        if c is not None:
            report.sections.append(("rnn-spec claim", f"{c.id}: {c.statement}"))
