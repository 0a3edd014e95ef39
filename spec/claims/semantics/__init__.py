"""Semantics: what the layers and cells compute, against the from-scratch reference, the equations and ONNX."""
