"""The axes a claim runs along, as a pytest plugin: device, target, implementation.

- device: ``--spec-device`` (``all``, or a device type: cpu, cuda, mps, xpu); a case per chosen device the claim
  is not bound away from; a device type this machine lacks gives cases that skip with the reason.
- target: ``--spec-target`` (eager, compile, export, script, onnx, all); a case per chosen target the claim
  runs through (``spec/helpers/targets.py``).
- implementation: ``--spec-impl`` or ``$RNN_SPEC_IMPL`` (``spec/implementations``): one per run, chosen before the
  claims are imported.

And what does not depend on a case's outcome: a claim outside its torch range, a claim the implementation
cannot answer (torch's own fact, an object it does not provide) is marked not applicable before it runs
(the marker ``spec_not_applicable``, read by the recorder); a known divergence of the implementation is an
expected failure (``xfail``, not strict: when it passes the report flags the entry as stale).
"""

from __future__ import annotations

import os

import pytest

from spec import profiles, session
from spec.registry import DEVICE_TYPES, NOT_APPLICABLE_MARKER, TARGETS, claim_of

#: Device types a run can choose: ``spec.registry.DEVICE_TYPES`` (torch's names); ``all`` is cpu and every
#: accelerator this machine has (cuda always gets its cases, skipped with the reason where there is none).
MARKER = NOT_APPLICABLE_MARKER


def pytest_addoption(parser):
    group = parser.getgroup("spec", "executable specification of torch's recurrent layers")
    group.addoption(
        "--spec-device",
        default="all",
        choices=DEVICE_TYPES + ("all",),
        help="which device type claims run on (default: all = cpu, cuda and any other accelerator present)",
    )
    group.addoption(
        "--spec-target",
        default="eager",
        choices=TARGETS + ("all",),
        help="how claims run the module: eager, compile, export, script, onnx or all (default: eager)",
    )
    group.addoption(
        "--spec-impl",
        default=None,
        metavar="NAME|MODULE:ATTR",
        help="the implementation of the recurrent API under test (default: $RNN_SPEC_IMPL, else torch)",
    )


# --- devices ---------------------------------------------------------------------------------------------------
def device_skip_reason(device: str):
    """Why cases on ``device`` cannot run here, or None when they can."""
    import torch

    if device == "cpu":
        return None
    if device == "cuda":
        if torch.version.cuda is None:
            return f"cuda: torch {torch.__version__} is a CPU-only build"
        if not torch.cuda.is_available():
            return f"cuda: no CUDA device visible (torch built for CUDA {torch.version.cuda})"
        return None
    backend = getattr(torch.backends, device, None) if device == "mps" else getattr(torch, device, None)
    if backend is None or not hasattr(backend, "is_available"):
        return f"{device}: torch {torch.__version__} has no {device} backend"
    if not backend.is_available():
        return f"{device}: no {device} device available"
    return None


def chosen_devices(config) -> tuple:
    choice = config.getoption("spec_device", "all") or "all"
    if choice != "all":
        return (choice,)
    others = tuple(d for d in DEVICE_TYPES[2:] if device_skip_reason(d) is None)
    return ("cpu", "cuda") + others


def claim_devices(c, chosen: tuple) -> tuple:
    """The devices a claim runs on: those it is bound to, or, unbound (the registry's default), every chosen."""
    from spec.registry import DEVICES

    if c is None or tuple(c.devices) == tuple(DEVICES):
        return tuple(dict.fromkeys(DEVICES + chosen))
    return tuple(c.devices)


def pytest_generate_tests(metafunc):
    """``device`` takes the chosen devices the claim is bound to; ``spec_target`` the chosen targets.

    A claim bound to a device that was not chosen still gets its case, skipped with that reason, so the report
    says why it did not run instead of leaving it out.
    """
    if claim_of(metafunc.function) is None and not _ours(metafunc):
        return  # an implementer's own tests in the same session (the pytest entry) keep their own parameters
    _parametrize_targets(metafunc)
    if "device" not in metafunc.fixturenames:
        return
    config = metafunc.config
    choice = config.getoption("spec_device")
    chosen = chosen_devices(config)
    bound = claim_devices(claim_of(metafunc.function), chosen)
    params = []
    for device in bound:
        reason = None
        if device not in chosen:
            reason = f"{device}: not selected (--device {choice})"
        else:
            reason = device_skip_reason(device)
        if device in chosen or not any(d in chosen for d in bound):
            marks = [pytest.mark.skip(reason=reason)] if reason else []
            params.append(pytest.param(device, id=device, marks=marks))
    metafunc.parametrize("device", params)


def _ours(metafunc) -> bool:
    """Whether a test is this suite's own (its tests/ take ``device`` from here as the claims do)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    return root in Path(str(metafunc.definition.fspath)).resolve().parents


# --- targets ---------------------------------------------------------------------------------------------------
def chosen_targets(config) -> tuple:
    choice = config.getoption("spec_target", "eager") or "eager"
    return TARGETS if choice == "all" else (choice,)


def _parametrize_targets(metafunc):
    """``spec_target`` takes the chosen targets that the claim applies to; with eager alone nothing changes.

    A claim whose targets were not chosen (``--spec-target onnx`` for a repr claim) keeps one case, skipped with
    that reason, as for devices; the claims about the targets themselves (kind ``targets``) always run.
    """
    c = claim_of(metafunc.function)
    chosen = chosen_targets(metafunc.config)
    if c is None or chosen == ("eager",):
        return
    params = [pytest.param(t, id=t) for t in c.targets if t in chosen]
    if not params and c.kind == "targets":
        return  # the claims about the targets call them themselves: they run whichever target was chosen
    if not params:
        reason = f"{c.targets[0]}: not selected (--target {metafunc.config.getoption('spec_target')})"
        params = [pytest.param(c.targets[0], id=c.targets[0], marks=pytest.mark.skip(reason=reason))]
    metafunc.parametrize("spec_target", params, indirect=True)


@pytest.fixture(autouse=True)
def spec_target(request):
    """The target a claim's modules run through (``--spec-target``; eager for everything else)."""
    name = getattr(request, "param", "eager")
    if name == "eager":
        yield name
        return
    from spec.helpers import targets

    targets.require(name)  # a target this release lacks: not applicable, with the reason
    with targets.using(name):
        yield name


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Fewer hypothesis examples for a case under a target other than eager (``targets.EXAMPLES``)."""
    callspec = getattr(item, "callspec", None)
    target = callspec.params.get("spec_target", "eager") if callspec else "eager"
    fn = getattr(item.obj, "__func__", item.obj)
    current = getattr(fn, "_hypothesis_internal_use_settings", None)
    from spec.helpers.targets import max_examples

    limit = max_examples(profiles.chosen(item.config.getoption("hypothesis_profile", None)))
    if current is None or target == "eager" or limit is None or current.max_examples <= limit:
        yield
        return
    from hypothesis import settings

    fn._hypothesis_internal_use_settings = settings(current, max_examples=limit)
    try:
        yield
    finally:
        fn._hypothesis_internal_use_settings = current


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    """A claim's cases, each with its verdict (``spec.helpers.verdicts``): every Hypothesis example and every
    ``with case(...)`` block is one; a failing or not-applicable case never stops the others; the item then
    ends as its cases say. A known divergence covers the cases its entry names (``cases``), no others."""
    c = claim_of(getattr(pyfuncitem, "obj", None))
    if c is None:
        return (yield)
    from spec.helpers import verdicts

    callspec = getattr(pyfuncitem, "callspec", None)
    params = callspec.params if callspec else {}
    entry = _known_entries().get(c.id)
    configurations = _known_configurations()
    item = verdicts.begin(
        pyfuncitem.nodeid,
        ids=tuple(getattr(callspec, "_idlist", None) or [callspec.id]) if callspec else (),
        device=params.get("device"),
        target=params.get("spec_target", "eager"),
        covers=_coverer(entry, configurations) if entry is not None or configurations else None,
    )
    pyfuncitem.spec_cases = item
    undo = verdicts.wrap_hypothesis(getattr(pyfuncitem, "obj", None))
    error = result = None
    try:
        result = yield
    except BaseException as e:  # judged with the item's cases, just below
        error = e
    finally:
        if undo is not None:
            undo()
    verdicts.finish(item, error)
    return result


def _coverer(entry, configurations):
    """(item, case) -> the known entry covering the case, or None: the claim's own entry (by the cases it names),
    else a configuration the implementation computes wrongly with in every claim (``configuration``: True)."""

    def covers(item, case):
        if entry is not None and entry.covers(item.ids, item.device, item.target, case.built):
            return entry.as_dict()
        for config in configurations:
            if any(config.matches(name, values) for name, values in case.built):
                return {"reason": config.reason, "configuration": config.describe()}
        return None

    return covers


# --- the implementation ----------------------------------------------------------------------------------------
def implementation():
    """The implementation under test (``spec.implementations.current``)."""
    from spec import implementations

    return implementations.current()


def known_divergences() -> dict:
    """claim ID -> its known entry (a dict, as the report records it) for the implementation under test."""
    return {cid: d.as_dict() for cid, d in _known_entries().items()}


_KNOWN: dict = {}


def _known_entries() -> dict:
    """claim ID -> :class:`spec.implementations.divergences.Divergence` of the implementation under test, those
    of the installed torch (read once per process)."""
    if "entries" not in _KNOWN:
        import torch

        from spec.implementations import divergences, known_file

        known = divergences.load(known_file(implementation()))
        _KNOWN["entries"] = {cid: d for cid, d in known.divergences.items() if d.applies_to(torch.__version__)}
        _KNOWN["configurations"] = list(known.configurations)
    return _KNOWN["entries"]


def _known_configurations() -> list:
    """The configurations the implementation under test computes wrongly with, whatever the claim."""
    _known_entries()
    return _KNOWN["configurations"]


# --- what is settled before a case runs ------------------------------------------------------------------------
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session, config, items):
    """Out of the claim's torch range, or not answerable by the implementation: not applicable (a marker, and a
    skip first so it wins over a device skip). A known divergence is settled case by case as the cases run."""
    import torch

    impl = implementation()
    for item in items:
        c = claim_of(getattr(item, "obj", None))
        if c is None:
            continue
        reason = None
        if not c.applies_to(torch.__version__):
            reason = f"holds for torch{c.torch}; installed {torch.__version__}"
        elif c.unmet_requirements():  # another library's range (onnxscript), declared like torch's
            reason = c.unmet_requirements()
        elif impl is not None:
            from spec import implementations

            reason = implementations.applicability(c, impl)
        if reason:
            item.add_marker(getattr(pytest.mark, MARKER)(reason=reason), append=False)
            item.add_marker(pytest.mark.skip(reason=f"not applicable: {reason}"), append=False)


def pytest_terminal_summary(terminalreporter):
    """The skipped cases folded into one line per reason (pytest's own list would name hundreds of cuda cases on a
    machine without a GPU): ``-rs`` still lists them one by one."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped or "s" in (terminalreporter.config.option.reportchars or ""):
        return
    reasons: dict = {}
    for rep in skipped:
        text = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        for prefix in ("Skipped: ", "spec.registry.NotApplicable: "):  # pytest's word, or the exception's name
            text = text[len(prefix) :] if text.startswith(prefix) else text
        outside = text.startswith("not applicable: holds for torch")
        gist = "not applicable: outside the claim's torch range" if outside else text
        reasons[gist] = reasons.get(gist, 0) + 1
    terminalreporter.write_sep("-", f"{len(skipped)} skipped, by reason (pytest -rs lists each)")
    for gist, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:12]:
        terminalreporter.write_line(f"{n:5d}  {gist[:150]}")
    if len(reasons) > 12:
        terminalreporter.write_line(f"       ... and {len(reasons) - 12} other reasons")


def pytest_configure(config):
    config.addinivalue_line("markers", f"{MARKER}(reason): the case has nothing to check here, and why")
    chosen = config.getoption("spec_impl", None)
    if chosen:
        os.environ["RNN_SPEC_IMPL"] = chosen  # before the claims import: they build through the implementation
    if session.is_controller(config):
        return  # it runs no case: its workers configure themselves (and it never imports torch)
    from spec.helpers import targets

    share_cores()
    targets.configure(chosen_targets(config), profiles.chosen(config.getoption("hypothesis_profile", None)))


def share_cores() -> None:
    """One intra-op thread per pytest process, unless ``OMP_NUM_THREADS`` says otherwise. The claims' tensors are
    far below the size where a second thread pays for its start-up and spin-waiting (measured on 2 loaded cores:
    ``verify`` 146 s with torch's default of a thread per core, 37 s with one; hello's 100 trainings 36 s against
    5 s), and pytest-xdist workers already share the cores between them as processes."""
    if not os.environ.get("OMP_NUM_THREADS"):
        import torch

        torch.set_num_threads(1)
