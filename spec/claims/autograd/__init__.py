"""Autograd: gradients through the layers (correct, causal, vanishing and exploding, cut by detach)
and their grad_fn names."""
