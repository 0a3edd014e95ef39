"""What the sources' programs compute: greedy prediction, packed versus padded batches."""
