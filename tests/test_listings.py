"""The listing table (spec/sources/listings.py) against the documents and the registry, and the checks issue 23
replaced shown to fail on a deliberately wrong program (each mistake planted with monkeypatch)."""

import re
from pathlib import Path

import pytest
import torch

import spec
from spec.registry import SEED_FILES
from spec.sources.listings import LISTINGS, rows
from spec.sources.unclaimed import UNCLAIMED

SEEDS = Path(spec.__file__).resolve().parent.parent.parent / "shared" / "seeds"


@pytest.fixture(scope="module")
def registry():
    return {c.id: c for c in spec.load_all()}


@pytest.fixture(scope="module")
def documents():
    if not SEEDS.is_dir():
        pytest.skip(f"the source documents are not at {SEEDS}")
    return {f: (SEEDS / f).read_text(encoding="utf-8").splitlines() for f in SEED_FILES}


def test_every_listing_has_one_verdict_and_known_lines(documents):
    for x in LISTINGS:
        where = f"{x.file}:{x.first}-{x.last} ({x.what})"
        assert x.file in SEED_FILES, where
        assert 1 <= x.first <= x.last <= len(documents[x.file]), where
        assert sum(map(bool, (x.claims, x.erratum, x.reason))) == 1, f"{where}: one of claims, erratum or reason"
        assert x.what.strip() and x.says.strip() and x.does.strip(), where
        assert documents[x.file][x.first - 1].strip(), f"{where}: starts on an empty line"


def test_every_named_claim_exists_and_errata_sit_on_the_listing(registry):
    for x in LISTINGS:
        where = f"{x.file}:{x.first}-{x.last}"
        assert [i for i in x.claims + x.erratum if i not in registry] == [], where
        for i in x.erratum:
            lines = [e.line for e in registry[i].errata if e.file == x.file]
            assert any(x.first <= n <= x.last for n in lines), f"{where}: {i} has no erratum on these lines ({lines})"


def test_listings_and_unclaimed_statements_do_not_overlap():
    """A statement inside a listing belongs to the listing table, not to spec/sources/unclaimed.py."""
    inside = [
        u.source.cite()
        for u in UNCLAIMED
        for x in LISTINGS
        if u.source.file == x.file and x.first <= u.source.line <= x.last
    ]
    assert inside == []


def test_every_replay_is_importable():
    import importlib

    for x in LISTINGS:
        if x.replay:
            module, _, name = x.replay.partition(":")
            assert hasattr(importlib.import_module(module), name), x.replay


def test_rows_follow_the_documents():
    got = [(r["file"], r["lines"]) for r in rows()]
    assert len(got) == len(LISTINGS) and {r["verdict"] for r in rows()} <= {"claims", "erratum", "reason"}
    firsts = [(r["file"], int(r["lines"].split("-")[0])) for r in rows()]
    assert firsts == sorted(firsts)


def bound(text: str, name: str) -> bool:
    """Whether ``text`` defines ``name`` anywhere: def, class, import, an assignment, a for target."""
    n = re.escape(name)
    patterns = (
        rf"\bdef {n}\b",
        rf"\bclass {n}\b",
        rf"\bimport (\w+, )*{n}\b",
        rf"(^|[\s;,(]){n}\s*(,[^=\n]*)?=(?!=)",
        rf"\bfor {n}\b",
    )
    return any(re.search(p, text, re.M) for p in patterns)


def test_undefined_names_are_defined_nowhere_in_their_document(documents):
    named = [(x, name) for x in LISTINGS for name in x.undefined]
    assert named, "the table names no undefined name"
    for x, name in named:
        text = "\n".join(documents[x.file])
        assert re.search(rf"\b{re.escape(name)}\b", "\n".join(documents[x.file][x.first - 1 : x.last])), (
            f"{x.file}:{x.first}-{x.last} does not use {name}"
        )
        assert not bound(text, name), f"{x.file} defines {name}"
    assert bound("num_epochs, lr = 5000, 0.5", "num_epochs") and bound("import time", "time")  # the detector


# --- the replaced checks, each failing on a planted mistake ------------------------------------------------


def test_time_machine_counts_fails_on_a_wrong_tokenizer(monkeypatch):
    import re as regex

    from reference.programs import datasets
    from spec.programs.data import text

    text.test_time_machine_counts()  # holds as the program is
    keep_digits = lambda path: [  # noqa: E731
        regex.sub("[^A-Za-z0-9]+", " ", line).strip().lower() for line in open(path, encoding="utf-8")
    ]
    monkeypatch.setattr(datasets, "read_time_machine", keep_digits)
    with pytest.raises(AssertionError):
        text.test_time_machine_counts()


def test_time_machine_counts_fails_on_the_hash_read_as_sha256(monkeypatch):
    from dataclasses import replace

    from reference.programs import datasets
    from spec.programs.data import text

    path = datasets.locate("timemachine") if _data() else pytest.skip("no Time Machine file")
    monkeypatch.setattr(text, "data_file", lambda name: path)  # past the loader's own verification
    entry = datasets.FILES["timemachine"]
    monkeypatch.setitem(datasets.FILES, "timemachine", replace(entry, digests=(("sha256", entry.digests[0][1]),)))
    with pytest.raises(AssertionError):
        text.test_time_machine_counts()


def _data() -> bool:
    from reference.programs import datasets

    try:
        return bool(datasets.locate("timemachine"))
    except datasets.DataError:
        return False


def test_lm_output_rows_fails_on_batch_major_targets(monkeypatch):
    from reference.programs import train
    from spec.programs.shape import training

    training.test_lm_output_rows("gru", "cpu")
    monkeypatch.setattr(train, "targets", lambda y: y.reshape(-1))
    with pytest.raises(AssertionError, match="pair"):
        training.test_lm_output_rows("gru", "cpu")


def test_bce_with_logits_fails_on_bce_of_the_sigmoid(monkeypatch):
    from spec.programs.training import sentiment

    naive = lambda z, y, *a, **k: torch.nn.functional.binary_cross_entropy(torch.sigmoid(z), y)  # noqa: E731
    monkeypatch.setattr(torch.nn.functional, "binary_cross_entropy_with_logits", naive)
    with pytest.raises(AssertionError):  # one example, without hypothesis's search and shrinking
        sentiment.test_bce_with_logits.hypothesis.inner_test(z=0.5, y=1.0)


def test_embedding_rows_fails_without_the_two_specials(monkeypatch):
    from reference.programs import sentiment
    from reference.programs.text import Vocab
    from spec.programs.data import sentiment as claims

    claims.test_embedding_rows("cpu")
    wrong = lambda words, max_vocab: Vocab(words, reserved_tokens=["<pad>"], max_size=max_vocab)  # noqa: E731
    monkeypatch.setattr(sentiment, "vocabulary", wrong)
    with pytest.raises(AssertionError):
        claims.test_embedding_rows("cpu")


def test_clipping_generator_fails_on_a_helper_that_lists_its_argument(monkeypatch):
    from reference.programs.listings import s004
    from spec.programs.training import lyrics

    original = s004.grad_clipping
    monkeypatch.setattr(s004, "grad_clipping", lambda ps, theta, device: original(list(ps), theta, device))
    with pytest.raises(AssertionError):
        lyrics.test_clipping_generator()


def test_hello_replay_fails_on_a_mean_loss_in_the_cell_program(monkeypatch):
    from reference.programs import hello
    from spec.programs.training import hello as claims

    mean = torch.nn.CrossEntropyLoss()
    monkeypatch.setattr(hello, "epoch", lambda v, m, o, i, lab, loss_fn=mean: _mean_epoch(v, m, o, i, lab))
    with pytest.raises(AssertionError):
        claims.test_hello_listings_replayed()


def _mean_epoch(version, model, optimizer, inputs, labels):
    """hello.epoch with the RNNCell's per-step losses averaged instead of summed (a deliberately wrong program)."""
    from reference.programs.models import HELLO_CHARS

    optimizer.zero_grad()
    hidden, losses, predicted = model.init_hidden(), [], []
    if version != "cell":
        logits = model(inputs)
        losses, predicted = [torch.nn.functional.cross_entropy(logits, labels)], logits.argmax(dim=1).tolist()
    else:
        for x, y in zip(inputs, labels):
            hidden = model(x, hidden)
            losses.append(torch.nn.functional.cross_entropy(hidden, y.view(1)))
            predicted.append(int(hidden.argmax(dim=1)))
    loss = sum(losses) / len(losses)
    loss.backward()
    optimizer.step()
    return "".join(HELLO_CHARS[i] for i in predicted), loss.item()
