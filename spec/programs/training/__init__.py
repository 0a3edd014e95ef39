"""The sources' training practice: perplexity, the hand SGD step, clipping, losses, accuracy, and the example runs."""
