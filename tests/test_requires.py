"""A claim's ``requires``: the range of another package (an exporter library) its truth depends on, read like
its torch range."""

import pytest

from spec.registry import Registry, claim_of, installed_version


def test_a_claim_outside_a_package_range_says_why(make_claim):
    c = claim_of(make_claim(Registry(), requires={"onnxscript": ">=0.7.1"}))
    assert c.requires == (("onnxscript", ">=0.7.1"),)
    assert c.as_dict()["requires"] == {"onnxscript": ">=0.7.1"}
    assert c.unmet_requirements({"onnxscript": "0.7.1"}) is None
    assert c.unmet_requirements({"onnxscript": "0.7.0"}) == "holds for onnxscript>=0.7.1; installed onnxscript 0.7.0"
    assert c.unmet_requirements({}) == "holds for onnxscript>=0.7.1; onnxscript is not installed"


def test_every_range_must_hold(make_claim):
    c = claim_of(make_claim(Registry(), requires={"onnxscript": ">=0.6,<0.7.1", "onnx": ">=1.16"}))
    assert c.unmet_requirements({"onnxscript": "0.6.2", "onnx": "1.23.1"}) is None
    assert "onnx>=1.16" in c.unmet_requirements({"onnxscript": "0.6.2", "onnx": "1.15.0"})
    assert "onnxscript" in c.unmet_requirements({"onnxscript": "0.7.2", "onnx": "1.23.1"})


@pytest.mark.parametrize(
    ("requires", "fragment"),
    [({"onnxscript": "newest"}, "not a version specifier"), ({"torch": ">=2.6"}, "a distribution other than torch")],
)
def test_a_bad_range_is_a_problem(make_claim, requires, fragment):
    registry = Registry()
    make_claim(registry, requires=requires)
    assert any(fragment in p for p in registry.problems())


def test_installed_versions_are_read_without_importing():
    assert installed_version("pytest") == pytest.__version__
    assert installed_version("no-such-distribution-here") is None
