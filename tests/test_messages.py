"""Fail fast, say exactly (issue #29): every assert in a claim module carries a message saying what was expected
against what was got. A bare ``assert torch.equal(a, b)`` fails on an implementation as "assert False": pytest's
rewriting cannot show what a call returning a bool compared, and the one-line reason a verdict records says no more."""

import ast
import importlib.util
from pathlib import Path

import spec


def bare_asserts(source: str, filename: str = "<source>") -> list:
    """The line of every assert in ``source`` that has no message."""
    tree = ast.parse(source, filename)
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Assert) and node.msg is None]


def test_the_rule_catches_a_bare_assert():
    """The planted mistake: a check whose last assert says nothing when it fails, beside one that does."""
    source = (
        "def test_planted(a, b):\n"
        "    assert a.shape == b.shape, f'shape {tuple(a.shape)} against {tuple(b.shape)}'\n"
        "    assert torch.equal(a, b)\n"
    )
    assert bare_asserts(source) == [3], "the rule misses a bare assert"
    assert bare_asserts(source.replace("torch.equal(a, b)", "torch.equal(a, b), 'values'")) == [], (
        "the rule flags an assert that has a message"
    )


def test_every_claim_assert_has_a_message():
    """Every claim module, under spec/claims and spec/programs, read as source (nothing is run)."""
    bare = {}
    for name in spec.claim_modules():
        path = Path(importlib.util.find_spec(name).origin)
        lines = bare_asserts(path.read_text(encoding="utf-8"), str(path))
        if lines:
            bare[name] = lines
    assert bare == {}, f"asserts without a message (module: lines): {bare}"
