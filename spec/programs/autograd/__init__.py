"""Gradients in the sources' training practice: how much of backpropagation through time a loop keeps."""
