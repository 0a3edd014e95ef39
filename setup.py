"""Records the suite's git revision in the wheel (``spec/REVISION``), so that ``python -m spec --version`` and the
reports of an installed suite say which revision they are. Everything else is in pyproject.toml."""

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def _version_module():
    # loaded by path: the build runs before (and without) the package being importable
    found = importlib.util.spec_from_file_location("_spec_version", HERE / "spec" / "version.py")
    module = importlib.util.module_from_spec(found)
    found.loader.exec_module(module)
    return module


class BuildWithRevision(build_py):
    def run(self):
        super().run()
        version = _version_module()
        # from a checkout: its HEAD; from an sdist (no .git): the REVISION it carries, if any
        revision = version.git_head(HERE) or version.revision()
        target = Path(self.build_lib, "spec", "REVISION")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(revision + "\n", encoding="utf-8")


setup(cmdclass={"build_py": BuildWithRevision})
