"""The sources' example programs, shape-checked: the data pipeline (:mod:`.text`, :mod:`.datasets`,
:mod:`.sampling`), the models (:mod:`.models`), training helpers (:mod:`.train`, :mod:`.checkpoint`)
and one command line per example (``python -m reference.programs.hello|char_lm|lyrics|sentiment``).

These use torch's recurrent modules, as the sources do: they are checked by :mod:`spec.programs`,
never used as an oracle for torch.
"""
