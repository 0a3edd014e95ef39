"""Reference implementations, in two parts that never mix.

- :mod:`reference.oracle`: torch's recurrent layers recomputed from their equations with plain tensor
  ops (matmul, sigmoid, tanh, indexing). Nothing there calls torch's RNN kernels; the claims compare
  torch against it.
- :mod:`reference.programs`: the sources' example programs (data, models, training, command lines).
  They use ``nn.RNN``/``nn.LSTM``/``nn.GRU`` as the sources do; their own claims live in
  :mod:`spec.programs`.

Shapes are annotated with jaxtyping and checked at run time by beartype when both are installed
(Python >= 3.11); see :mod:`reference.common.shapecheck`.
"""
