"""The pytest entry point (``pytest11``: ``rnn_spec``): rnn-spec's claims inside an implementer's own pytest session.

pip installs it with the suite, so pytest loads it in every session of that environment: it stays inert unless the
session asks. It adds one option and one ini key and imports neither torch nor a claim; without them, no hook of
the spec runs and nothing in the session changes (no parametrization, no marker, no hypothesis profile).

Asked, with ``pytest --rnn-spec`` or ``rnn_spec = true`` in the session's configuration, it loads
:mod:`spec.pytest_plugin` (the axes, the recorder, the claim collection: what ``python -m spec verify`` loads)
before the command line is read, so ``--spec-impl``, ``--spec-known``, ``--spec-device``, ``--spec-report``...
are options of the session, and adds the claims (the ``spec`` package's folder) to what it collects, beside the
session's own tests. ``-m rnn_spec`` keeps the claims alone; ``-p no:rnn_spec`` unloads the entry altogether.
"""

from __future__ import annotations

from pathlib import Path

SPEC_DIR = Path(__file__).resolve().parent
PLUGIN = "spec.pytest_plugin"


def pytest_addoption(parser):
    group = parser.getgroup("rnn-spec", "rnn-spec: the executable specification of torch's recurrent layers")
    group.addoption(
        "--rnn-spec",
        action="store_true",
        default=False,
        help="also run rnn-spec's claims in this session, against --spec-impl (or $RNN_SPEC_IMPL; default torch), "
        "with --spec-known (or $RNN_SPEC_KNOWN); -m rnn_spec runs the claims alone",
    )
    parser.addini("rnn_spec", type="bool", default=False, help="run rnn-spec's claims in every session (--rnn-spec)")


def asked(config) -> bool:
    namespace = getattr(config, "known_args_namespace", None) or config.option
    return bool(getattr(namespace, "rnn_spec", False) or config.getini("rnn_spec"))


def pytest_load_initial_conftests(early_config, parser, args):
    """Before the command line is read: the spec's options must exist by then."""
    if asked(early_config):
        early_config.pluginmanager.import_plugin(PLUGIN)


def pytest_configure(config):
    """The claims join what the session collects, unless a path given already holds them (or lies inside them)."""
    if not asked(config):
        return
    given = [Path(config.invocation_params.dir, a.split("::")[0]).resolve() for a in config.args]
    if not any(p == SPEC_DIR or p in SPEC_DIR.parents or SPEC_DIR in p.parents for p in given):
        config.args.append(str(SPEC_DIR))
