"""From-scratch reference implementations of torch's recurrent layers and of the
sources' example programs. Nothing here calls torch's RNN kernels: only plain
tensor ops (matmul, sigmoid, tanh, indexing).

Shapes are annotated with jaxtyping and checked at run time by beartype when
both are installed (Python >= 3.11); see :mod:`reference._typing`.
"""
